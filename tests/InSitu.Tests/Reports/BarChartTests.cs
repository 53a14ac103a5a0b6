using System.Xml.Linq;
using InSitu.Reports;

namespace InSitu.Tests.Reports;

public class BarChartTests
{
    [Fact]
    public void DrawsOneBarPerFiniteValueWithErrorLinesAndALegend()
    {
        var svg = BarChart.Svg("F1", new[] { "a", "b <c>" },
            new[] { new BarSeries("full", new[] { 0.5, 0.25 }, new[] { 0.1, 0.0 }), new BarSeries("cnn", new[] { double.NaN, 1.0 }) });
        var doc = XDocument.Parse(svg); // well-formed, names escaped
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = doc.Descendants(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToList();
        Assert.Equal(3, bars.Count); // NaN draws nothing
        var widths = bars.Select(b => double.Parse(b.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(2 * widths[1], widths[0], 6); // 0.5 is twice 0.25
        Assert.Equal(4 * widths[1], widths[2], 6);
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "b <c>");
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value.StartsWith("full", StringComparison.Ordinal));
        Assert.Single(doc.Descendants(ns + "line"), l => l.Attribute("stroke")?.Value == "#222"); // one non-zero error
        Assert.Throws<ArgumentException>(() => BarChart.Svg("F1", new[] { "a" }, new[] { new BarSeries("x", new[] { 1.0, 2.0 }) }));
    }
}
