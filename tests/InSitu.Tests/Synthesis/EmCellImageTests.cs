using InSitu.Synthesis;

namespace InSitu.Tests.Synthesis;

/// <summary>The EM-like tissue generator: full truth of two cell types, dark membranes, reproducible.</summary>
public class EmCellImageTests
{
    private static readonly EmCellOptions Small = new() { Width = 640, Height = 480, Scale = 0.3f, Seed = 4 };

    [Fact]
    public void TheDefaultFrameIsTheSeedsTemImageSize()
    {
        var o = new EmCellOptions();
        Assert.True(o.Width >= 3840 && o.Height >= 2920);
    }

    [Fact]
    public void TwoCellTypesOfDifferentSizeLieInTheMatrixWithDarkMembranes()
    {
        var r = EmCellImage.Generate(Small);
        Assert.Equal(640 * 480, r.Truth.Length);
        double large = r.Truth.Count(v => v == EmCellImage.LargeCell) / (double)r.Truth.Length;
        double small = r.Truth.Count(v => v == EmCellImage.SmallCell) / (double)r.Truth.Length;
        Assert.InRange(large, 0.2, 0.6);
        Assert.InRange(small, 0.05, 0.4);
        Assert.True(r.LargeCells > 3 && r.SmallCells > r.LargeCells, $"{r.LargeCells} large, {r.SmallCells} small cells");
        Assert.True(large / r.LargeCells > 3 * small / r.SmallCells, "large cells are not larger than small ones");
        // membranes: pixels where the truth changes are darker than cell interiors two pixels away from any change
        double edge = 0, inner = 0;
        int edges = 0, inners = 0;
        for (int y = 2; y < 478; y++)
            for (int x = 2; x < 638; x++)
            {
                int p = y * 640 + x;
                bool changes = r.Truth[p] != r.Truth[p + 1] || r.Truth[p] != r.Truth[p + 640];
                bool calm = Enumerable.Range(-2, 5).All(d => r.Truth[p + d] == r.Truth[p] && r.Truth[p + d * 640] == r.Truth[p]);
                if (changes) { edge += r.Image[p]; edges++; }
                else if (calm && r.Truth[p] == EmCellImage.LargeCell) { inner += r.Image[p]; inners++; }
            }
        Assert.True(edge / edges < inner / inners - 10, $"membranes {edge / edges:F0} against cell interiors {inner / inners:F0}");
    }

    [Fact]
    public void TheSameOptionsGiveTheSameImage()
    {
        var a = EmCellImage.Generate(Small);
        var b = EmCellImage.Generate(Small);
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Truth, b.Truth);
        Assert.NotEqual(a.Image, EmCellImage.Generate(Small with { Seed = 5 }).Image);
        Assert.Throws<ArgumentException>(() => EmCellImage.Generate(Small with { Width = 10 }));
    }
}
