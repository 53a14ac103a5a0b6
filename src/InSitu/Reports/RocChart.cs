using System.Globalization;
using System.Net;
using System.Text;

namespace InSitu.Reports;

/// <summary>
/// ROC curves as a standalone SVG image: false-positive rate across, true-positive rate up, the chance diagonal, one
/// curve per series with its AUC in the legend. Written beside a report and shown with <see cref="HtmlReport.Image"/>.
/// </summary>
public static class RocChart
{
    private static readonly string[] Colours =
        ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <param name="series">Per curve: its name, the false- and true-positive rates of its points (from (0, 0) to (1, 1)), its AUC.</param>
    public static string Svg(string title, IReadOnlyList<(string name, double[] fpr, double[] tpr, double auc)> series)
    {
        const int w = 640, h = 380, left = 46, top = 28, plot = 300, legendX = left + plot + 20;
        string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        double X(double f) => left + f * plot;
        double Y(double t) => top + (1 - t) * plot;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" ");
        svg.Append(CultureInfo.InvariantCulture, $"viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"16\" font-size=\"13\">{WebUtility.HtmlEncode(title)}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<rect x=\"{left}\" y=\"{top}\" width=\"{plot}\" height=\"{plot}\" fill=\"none\" stroke=\"#444\"/>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(1)}\" y2=\"{Y(1)}\" stroke=\"#bbb\" stroke-dasharray=\"4 4\"/>");
        for (int t = 0; t <= 4; t++)
        {
            double v = t / 4.0;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(X(v))}\" y=\"{top + plot + 14}\" text-anchor=\"middle\">{N(v)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{N(Y(v) + 4)}\" text-anchor=\"end\">{N(v)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{left + plot / 2}\" y=\"{top + plot + 30}\" text-anchor=\"middle\">false-positive rate</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text transform=\"translate(12 {top + plot / 2}) rotate(-90)\" text-anchor=\"middle\">true-positive rate</text>");
        for (int s = 0; s < series.Count; s++)
        {
            var (name, fpr, tpr, auc) = series[s];
            var colour = Colours[s % Colours.Length];
            var points = Enumerable.Range(0, fpr.Length).Where(i => double.IsFinite(fpr[i]) && double.IsFinite(tpr[i]))
                .Select(i => $"{N(X(fpr[i]))},{N(Y(tpr[i]))}");
            svg.Append(CultureInfo.InvariantCulture,
                $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\" points=\"{string.Join(' ', points)}\"/>");
            double y = top + 6 + 16 * s;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX}\" y=\"{N(y)}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>");
            var label = name.Length > 34 ? name[..33] + "…" : name;
            var aucText = double.IsNaN(auc) ? "n/a" : auc.ToString("0.000", CultureInfo.InvariantCulture);
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{legendX + 14}\" y=\"{N(y + 9)}\">{WebUtility.HtmlEncode(label)} ({aucText})</text>");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
