using InSitu.Web.Jobs;
using ScottPlot;

namespace InSitu.Web;

/// <summary>The app's charts, drawn on the server with ScottPlot as SVG.</summary>
public static class Charts
{
    private static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#9467bd"),
        Color.FromHex("#ff7f0e"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#17becf"),
    ];

    private static Color Colour(int i) => Palette[i % Palette.Length];

    /// <summary>
    /// A training job's curve: validation (the selection metric, left axis) as bold lines and the training loss
    /// (right axis) as thin pale ones with open squares, one colour per phase, against the epoch counted over all phases.
    /// </summary>
    public static string TrainingCurve(IReadOnlyList<CurvePoint> points, int width, int height)
    {
        var plot = new Plot();
        plot.XLabel("epoch (all phases)");
        plot.YLabel("validation");
        plot.Axes.Right.Label.Text = "training loss";
        var phases = points.Select(p => p.Phase).Distinct().ToList();
        int offset = 0;
        for (int i = 0; i < phases.Count; i++)
        {
            var ph = points.Where(p => p.Phase == phases[i]).OrderBy(p => p.Epoch).ToList();
            double[] xs = ph.Select(p => (double)(offset + p.Epoch)).ToArray();
            var val = plot.Add.Scatter(xs, ph.Select(p => Finite(p.Validation)).ToArray(), Colour(i));
            val.LegendText = $"{phases[i]}: validation";
            val.LineWidth = 2;
            // thin and pale rather than dashed: SkiaSharp's SVG canvas cannot draw dashes (it says so on stdout)
            var loss = plot.Add.Scatter(xs, ph.Select(p => Finite(p.TrainLoss)).ToArray(), Colour(i).WithAlpha(0.55));
            loss.LegendText = $"{phases[i]}: loss";
            loss.LineWidth = 1;
            loss.MarkerShape = MarkerShape.OpenSquare;
            loss.Axes.YAxis = plot.Axes.Right;
            offset += ph.Count == 0 ? 0 : ph.Max(p => p.Epoch);
        }
        if (points.Count == 0) plot.Title("waiting for the first epoch");
        // validation figures (accuracy, IoU) are shares: a fixed 0..1 axis shows how far from perfect they are
        plot.Axes.SetLimitsY(0, 1, plot.Axes.Left);
        plot.ShowLegend(Edge.Right);
        return plot.GetSvgXml(width, height);
    }

    /// <summary>One line per series over the x values (e.g. accuracy per stage, or quality against the number of labels).</summary>
    public static string Lines(string xLabel, string yLabel, IReadOnlyList<(string name, double[] x, double[] y)> series, int width,
        int height, double? yMin = null, double? yMax = null)
    {
        var plot = new Plot();
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        for (int i = 0; i < series.Count; i++)
        {
            var s = plot.Add.Scatter(series[i].x, series[i].y.Select(Finite).ToArray(), Colour(i));
            s.LegendText = series[i].name;
            s.LineWidth = 2;
            s.MarkerSize = 6;
        }
        if (series.Count == 0) plot.Title("no data");
        if (yMin is { } lo && yMax is { } hi) plot.Axes.SetLimitsY(lo, hi);
        // one series is named by the title; several by a legend beside the plot, where it hides no point
        if (series.Count == 1) plot.Title(series[0].name, size: 13);
        else plot.ShowLegend(Edge.Right);
        return plot.GetSvgXml(width, height);
    }

    // ScottPlot leaves NaN points out of a line
    private static double Finite(double v) => double.IsFinite(v) ? v : double.NaN;
}
