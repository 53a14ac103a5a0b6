using InSitu.Workflows.Segmentation;

namespace InSitu.Tests.Workflows.Segmentation;

/// <summary>Simulated strokes: the given share of every piece, from its centre out, only inside the region.</summary>
public class StrokeSimulatorTests
{
    [Fact]
    public void EachPieceKeepsItsShareFromTheCentreOutInsideTheRegionOnly()
    {
        const int w = 40, h = 30;
        var truth = new int[w * h];
        // a 10x10 square of class 1 at (5, 5) and a 6x6 square of class 2 at (25, 15), class 0 elsewhere
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                truth[y * w + x] = x is >= 5 and < 15 && y is >= 5 and < 15 ? 1 : x is >= 25 and < 31 && y is >= 15 and < 21 ? 2 : 0;
        var labels = Enumerable.Repeat(255, w * h).ToArray();
        StrokeSimulator.Annotate(truth, w, h, (0, 0, 32, 24), 0.25, labels, 255);
        Assert.Equal(25, labels.Count(v => v == 1));            // a quarter of the 100 pixels
        Assert.Equal(9, labels.Count(v => v == 2));             // and of the 6x6 square
        Assert.All(Enumerable.Range(0, w * h).Where(i => labels[i] != 255), i => Assert.Equal(truth[i], labels[i]));
        Assert.All(Enumerable.Range(0, w * h).Where(i => labels[i] != 255), i => Assert.True(i % w < 32 && i / w < 24));
        // the kept class-1 pixels are the square's centre
        Assert.All(Enumerable.Range(0, w * h).Where(i => labels[i] == 1), i => Assert.InRange(i % w, 7, 12));
        var again = Enumerable.Repeat(255, w * h).ToArray();
        StrokeSimulator.Annotate(truth, w, h, (0, 0, 32, 24), 0.25, again, 255);
        Assert.Equal(labels, again);
        Assert.Throws<ArgumentException>(() => StrokeSimulator.Annotate(truth, w, h, (0, 0, 8, 8), 0, labels, 255));
    }

    [Fact]
    public void ScribblesMarkTheirShareOfEachClassInsideItsAreaOnly()
    {
        const int w = 120, h = 90;
        var truth = new int[w * h];
        // a frame of class 2 two pixels wide, a disc of class 1, class 0 elsewhere
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                truth[y * w + x] = x < 2 || y < 2 || x >= w - 2 || y >= h - 2 ? 2 : (x - 60) * (x - 60) + (y - 45) * (y - 45) < 400 ? 1 : 0;
        var labels = Enumerable.Repeat(255, w * h).ToArray();
        StrokeSimulator.Scribble(truth, w, h, (0, 0, w, h), 0.05, labels, 255, seed: 3);
        for (int c = 0; c < 3; c++)
        {
            int total = truth.Count(v => v == c), marked = labels.Count(v => v == c);
            Assert.True(marked >= 0.05 * total && marked <= 0.05 * total + 25, $"class {c}: {marked} of {total} marked");
        }
        Assert.All(Enumerable.Range(0, w * h).Where(i => labels[i] != 255), i => Assert.Equal(truth[i], labels[i]));
        var again = Enumerable.Repeat(255, w * h).ToArray();
        StrokeSimulator.Scribble(truth, w, h, (0, 0, w, h), 0.05, again, 255, seed: 3);
        Assert.Equal(labels, again);
    }
}
