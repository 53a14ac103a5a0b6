using System.Globalization;
using System.Net;
using System.Text;

namespace InSitu.Reports;

/// <summary>One curve of a <see cref="BandChart"/>: a mean per x and, optionally, a standard deviation drawn as a band.</summary>
public sealed record BandSeries(string Name, IReadOnlyList<double> Mean, IReadOnlyList<double>? Std = null);

/// <summary>
/// A line chart of means with a shaded mean ± std band per series (learning curves over seeds), as a standalone SVG
/// file that report.html shows as an image. Points that are not finite are left out.
/// </summary>
public static class BandChart
{
    private static readonly string[] Colours = { "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b" };

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Svg(IReadOnlyList<double> x, IReadOnlyList<BandSeries> series, string xLabel, string yLabel,
        double? yMin = null, double? yMax = null)
    {
        const int w = 640, h = 320, left = 56, right = 150, top = 14, bottom = 42;
        var values = series.SelectMany(s => s.Mean.Select((m, i) => (m, sd: s.Std is { } d && i < d.Count ? d[i] : 0)))
            .Where(p => double.IsFinite(p.m))
            .SelectMany(p => new[] { p.m - (double.IsFinite(p.sd) ? p.sd : 0), p.m + (double.IsFinite(p.sd) ? p.sd : 0) })
            .ToList();
        double lo = yMin ?? (values.Count > 0 ? values.Min() : 0), hi = yMax ?? (values.Count > 0 ? values.Max() : 1);
        if (hi <= lo) hi = lo + 1;
        double x0 = x.Count > 0 ? x.Min() : 0, x1 = x.Count > 0 ? x.Max() : 1;
        if (x1 <= x0) x1 = x0 + 1;
        double X(double v) => left + (v - x0) / (x1 - x0) * (w - left - right);
        double Y(double v) => top + (1 - (Math.Clamp(v, lo, hi) - lo) / (hi - lo)) * (h - top - bottom);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" ");
        svg.Append("font-size=\"11\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        for (int t = 0; t <= 5; t++)
        {
            double v = lo + (hi - lo) * t / 5;
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{left}\" y1=\"{N(Y(v))}\" x2=\"{w - right}\" y2=\"{N(Y(v))}\" stroke=\"#eee\"/>" +
                $"<text x=\"{left - 5}\" y=\"{N(Y(v) + 4)}\" " +
                    $"text-anchor=\"end\">{v.ToString("0.###", CultureInfo.InvariantCulture)}</text>");
        }
        foreach (var v in x)
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{N(X(v))}\" y=\"{h - bottom + 15}\" text-anchor=\"middle\">{N(v)}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"#444\"/>" +
            $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"#444\"/>" +
            $"<text x=\"{(left + w - right) / 2}\" y=\"{h - 6}\" text-anchor=\"middle\">{E(xLabel)}</text>" +
            $"<text transform=\"translate(14,{(top + h - bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");
        for (int s = 0; s < series.Count; s++)
        {
            var c = Colours[s % Colours.Length];
            var pts = Enumerable.Range(0, Math.Min(x.Count, series[s].Mean.Count)).Where(i => double.IsFinite(series[s].Mean[i])).ToList();
            if (series[s].Std is { } std && pts.Count > 1)
            {
                double Sd(int i) => i < std.Count && double.IsFinite(std[i]) ? std[i] : 0;
                var upper = pts.Select(i => $"{N(X(x[i]))},{N(Y(series[s].Mean[i] + Sd(i)))}");
                var lower = pts.AsEnumerable().Reverse().Select(i => $"{N(X(x[i]))},{N(Y(series[s].Mean[i] - Sd(i)))}");
                svg.Append(CultureInfo.InvariantCulture,
                    $"<polygon points=\"{string.Join(" ", upper.Concat(lower))}\" fill=\"{c}\" fill-opacity=\"0.15\" stroke=\"none\"/>");
            }
            svg.Append(CultureInfo.InvariantCulture,
                $"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"" +
                $"{string.Join(" ", pts.Select(i => $"{N(X(x[i]))},{N(Y(series[s].Mean[i]))}"))}\"/>");
            foreach (var i in pts)
                svg.Append(CultureInfo.InvariantCulture,
                    $"<circle cx=\"{N(X(x[i]))}\" cy=\"{N(Y(series[s].Mean[i]))}\" r=\"2.5\" fill=\"{c}\"/>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{w - right + 12}\" y=\"{top + 18 * s}\" width=\"12\" height=\"12\" fill=\"{c}\"/>" +
                $"<text x=\"{w - right + 30}\" y=\"{top + 18 * s + 10}\">{E(series[s].Name)}</text>");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
