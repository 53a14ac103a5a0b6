using System.Globalization;
using System.Net;
using System.Text;

namespace InSitu.Reports;

/// <summary>A self-contained report.html: headings, text, tables, SVG line plots and images beside it.</summary>
public sealed class HtmlReport
{
    private readonly StringBuilder _body = new();
    private readonly string _title;

    public HtmlReport(string title) => _title = title;

    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    public HtmlReport Heading(string text, int level = 2)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<h{level}>{E(text)}</h{level}>\n");
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<p>{E(text)}</p>\n");
        return this;
    }

    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("<table><thead><tr>");
        foreach (var h in header) _body.Append(CultureInfo.InvariantCulture, $"<th>{E(h)}</th>");
        _body.Append("</tr></thead><tbody>\n");
        foreach (var r in rows)
        {
            _body.Append("<tr>");
            foreach (var c in r) _body.Append(CultureInfo.InvariantCulture, $"<td>{E(c)}</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    /// <summary>An image file stored beside report.html (path relative to it).</summary>
    public HtmlReport Image(string relativePath, string caption)
    {
        _body.Append(CultureInfo.InvariantCulture,
            $"<figure><img src=\"{E(relativePath)}\" alt=\"{E(caption)}\"><figcaption>{E(caption)}</figcaption></figure>\n");
        return this;
    }

    /// <summary>Several images stored beside report.html in one row, each with its own caption.</summary>
    public HtmlReport ImageRow(IReadOnlyList<(string relativePath, string caption)> images, string caption)
    {
        _body.Append("<figure><div style=\"display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start\">");
        foreach (var (path, text) in images)
            _body.Append(CultureInfo.InvariantCulture,
                $"<div><img src=\"{E(path)}\" alt=\"{E(text)}\"><div style=\"font-size:80%;color:#555\">{E(text)}</div></div>");
        _body.Append(CultureInfo.InvariantCulture, $"</div><figcaption>{E(caption)}</figcaption></figure>\n");
        return this;
    }

    /// <summary>
    /// Line plot of one or more series over x = 1..n (or, given <paramref name="xFirst"/> and <paramref name="xLast"/>, n
    /// evenly spaced x values from the first to the last), drawn as inline SVG with axes and a legend. Points that are
    /// not finite are left out of their line.
    /// </summary>
    public HtmlReport LinePlot(string caption, string xLabel, IReadOnlyList<(string name, IReadOnlyList<double> values)> series,
        double? xFirst = null, double? xLast = null)
    {
        const int w = 560, h = 260, left = 50, right = 120, top = 12, bottom = 36;
        var all = series.SelectMany(s => s.values).Where(double.IsFinite).ToList();
        int n = series.Max(s => s.values.Count);
        if (all.Count == 0 || n == 0) return Paragraph(caption + ": no data");
        double lo = Math.Min(0, all.Min()), hi = all.Max();
        if (hi <= lo) hi = lo + 1;
        double X(int i) => left + (n == 1 ? 0 : (double)i / (n - 1)) * (w - left - right);
        double Y(double v) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
        string[] colours = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b" };
        var svg = new StringBuilder($"<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" " +
            $"xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">");
        svg.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"#444\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"#444\"/>");
        for (int t = 0; t <= 4; t++)
        {
            double v = lo + (hi - lo) * t / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{N(Y(v) + 4)}\" text-anchor=\"end\">{N(v)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{left}\" y=\"{h - bottom + 14}\">{N(xFirst ?? 1)}</text><text x=\"{w - right}\" y=\"{h - bottom + 14}\" " +
            $"text-anchor=\"end\">{N(xLast ?? n)}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{(left + w - right) / 2}\" y=\"{h - 6}\" text-anchor=\"middle\">{E(xLabel)}</text>");
        for (int s = 0; s < series.Count; s++)
        {
            var pts = string.Join(" ", series[s].values.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v))
                .Select(p => $"{N(X(p.i))},{N(Y(p.v))}"));
            var c = colours[s % colours.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{pts}\"/>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{w - right + 10}\" y=\"{top + 16 * s}\" width=\"10\" height=\"10\" fill=\"{c}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{w - right + 24}\" y=\"{top + 16 * s + 9}\">{E(series[s].name)}</text>");
        }
        svg.Append("</svg>");
        _body.Append(CultureInfo.InvariantCulture, $"<figure>{svg}<figcaption>{E(caption)}</figcaption></figure>\n");
        return this;
    }

    public string Render() =>
        $"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(_title)}</title><style>" +
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}" +
        "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}figure{margin:1em 0}" +
        "img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}figcaption{color:#555;font-size:90%}" +
        $"</style></head><body>\n<h1>{E(_title)}</h1>\n{_body}</body></html>\n";

    public void Save(RunDirectory run, string name = "report.html") => run.WriteText(name, Render());
}
