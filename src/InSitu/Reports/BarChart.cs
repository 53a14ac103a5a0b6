using System.Globalization;
using System.Net;
using System.Text;

namespace InSitu.Reports;

/// <summary>One series of a <see cref="BarChart"/>: a value per category and, optionally, an error (e.g. a std over seeds).</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);

/// <summary>
/// A grouped horizontal bar chart as a standalone SVG file (a report shows it with <see cref="HtmlReport.Image"/>): one row
/// of bars per category, one colour per series, error bars where the series has errors, a value axis with grid lines and
/// a legend. Values that are not finite are left out (no bar), never drawn as 0.
/// </summary>
public static class BarChart
{
    private static readonly string[] Colours =
        { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The chart's SVG text. <paramref name="max"/> is the right end of the value axis (e.g. 1 for F1).</summary>
    public static string Svg(string valueLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series, double max = 1)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || categories.Count == 0) throw new ArgumentException("a bar chart needs categories and series");
        foreach (var s in series)
            if (s.Values.Count != categories.Count || (s.Errors is { } e && e.Count != categories.Count))
                throw new ArgumentException($"series '{s.Name}' has {s.Values.Count} values for {categories.Count} categories");
        if (!(max > 0)) throw new ArgumentException("the value axis needs a positive end");
        const int bar = 5, gap = 8, plotWidth = 520, top = 30, right = 20;
        int labelWidth = Math.Clamp(categories.Max(c => c.Length) * 6 + 10, 60, 300);
        int legendHeight = 16 * series.Count + 8;
        int group = series.Count * bar + gap;
        int plotHeight = categories.Count * group;
        int width = labelWidth + plotWidth + right, height = top + plotHeight + 30 + legendHeight;
        double X(double v) => labelWidth + Math.Clamp(v / max, 0, 1) * plotWidth;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" ");
        svg.Append("font-family=\"sans-serif\" font-size=\"11\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        for (int t = 0; t <= 5; t++)
        {
            double v = max * t / 5, x = X(v);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{N(x)}\" y1=\"{top}\" x2=\"{N(x)}\" y2=\"{top + plotHeight}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{top - 6}\" text-anchor=\"middle\">{N(v)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{labelWidth + plotWidth / 2}\" y=\"12\" text-anchor=\"middle\" font-weight=\"bold\">{E(valueLabel)}</text>");
        for (int c = 0; c < categories.Count; c++)
        {
            int y0 = top + c * group;
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{labelWidth - 6}\" y=\"{y0 + series.Count * bar / 2 + 4}\" text-anchor=\"end\">{E(categories[c])}</text>");
            for (int s = 0; s < series.Count; s++)
            {
                double v = series[s].Values[c];
                if (!double.IsFinite(v)) continue;
                int y = y0 + s * bar;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{labelWidth}\" y=\"{y}\" width=\"{N(X(v) - labelWidth)}\" height=\"{bar - 1}\" ");
                svg.Append(CultureInfo.InvariantCulture,
                    $"fill=\"{Colours[s % Colours.Length]}\"><title>{E(series[s].Name)}, {E(categories[c])}: {N(v)}</title></rect>");
                if (series[s].Errors is { } errors && double.IsFinite(errors[c]) && errors[c] > 0)
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<line x1=\"{N(X(v - errors[c]))}\" y1=\"{N(y + bar / 2.0)}\" x2=\"{N(X(v + errors[c]))}\" " +
                        $"y2=\"{N(y + bar / 2.0)}\" stroke=\"#222\" stroke-width=\"1\"/>");
            }
        }
        svg.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{labelWidth}\" y1=\"{top}\" x2=\"{labelWidth}\" y2=\"{top + plotHeight}\" stroke=\"#444\"/>");
        int legendTop = top + plotHeight + 16;
        for (int s = 0; s < series.Count; s++)
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{labelWidth}\" y=\"{legendTop + 16 * s}\" width=\"10\" height=\"10\" fill=\"{Colours[s % Colours.Length]}\"/>");
            var note = series[s].Errors is null ? "" : " (bar: mean, line: ± std)";
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{labelWidth + 16}\" y=\"{legendTop + 16 * s + 9}\">{E(series[s].Name)}{E(note)}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Writes <see cref="Svg"/> as <paramref name="name"/> into the run directory; returns the name for the report.</summary>
    public static string Write(RunDirectory run, string name, string valueLabel, IReadOnlyList<string> categories,
        IReadOnlyList<BarSeries> series, double max = 1)
    {
        ArgumentNullException.ThrowIfNull(run);
        run.WriteText(name, Svg(valueLabel, categories, series, max));
        return name;
    }
}
