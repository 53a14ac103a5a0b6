namespace InSitu.Workflows.Segmentation;

/// <summary>
/// How active annotation ranks unlabelled patches (METHODS.md §6: "the unlabelled patch with the highest predictive uncertainty").
/// </summary>
public enum UncertaintyRule
{
    /// <summary>Mean predictive entropy of the patch's pixels.</summary>
    Entropy,
    /// <summary>Mean of 1 - (top probability - second), so the patch whose pixels are closest to a tie.</summary>
    Margin,
    /// <summary>Mean MC-dropout disagreement (mutual information between prediction and dropout mask).</summary>
    Disagreement,
}

/// <summary>A grid of square patch cells over an image; only whole cells count (the last partial row and column do not).</summary>
public sealed record PatchGrid(int Height, int Width, int Cell)
{
    public int Rows => Height / Cell;
    public int Columns => Width / Cell;
    public int Count => Rows * Columns;

    /// <summary>The cell holding pixel (y, x), or -1 outside the whole cells.</summary>
    public int At(int y, int x)
    {
        int r = y / Cell, c = x / Cell;
        return r < Rows && c < Columns ? r * Columns + c : -1;
    }

    public (int X, int Y, int W, int H) Rect(int cell) => (cell % Columns * Cell, cell / Columns * Cell, Cell, Cell);
}

/// <summary>One candidate patch, in the image's own pixels, with its three uncertainty scores (NaN where not computed).</summary>
public sealed record PatchScore(string Image, int X, int Y, int Width, int Height, double Entropy, double Margin, double Disagreement)
{
    public double Score(UncertaintyRule rule) => rule switch
    {
        UncertaintyRule.Entropy => Entropy,
        UncertaintyRule.Margin => Margin,
        _ => Disagreement,
    };
}

/// <summary>Per-cell sums of the three uncertainty planes, fed row by row from <see cref="SegmentationPredictor.Stream"/>.</summary>
public sealed class UncertaintySums
{
    private readonly PatchGrid _grid;
    private readonly double[] _entropy, _margin, _disagreement;
    private readonly long[] _pixels;

    public UncertaintySums(PatchGrid grid)
    {
        _grid = grid;
        (_entropy, _margin, _disagreement, _pixels) = (new double[grid.Count], new double[grid.Count], new double[grid.Count],
            new long[grid.Count]);
    }

    public void Add(int y, float[] planes, int classes, int width)
    {
        if (y / _grid.Cell >= _grid.Rows) return;
        for (int x = 0; x < _grid.Columns * _grid.Cell; x++)
        {
            int cell = _grid.At(y, x);
            _entropy[cell] += planes[classes * width + x];
            _margin[cell] += planes[(classes + 1) * width + x];
            _disagreement[cell] += planes[(classes + 2) * width + x];
            _pixels[cell]++;
        }
    }

    /// <summary>Cell <paramref name="cell"/>'s mean scores; disagreement is NaN when it was not sampled.</summary>
    public PatchScore Score(string image, int cell, bool sampled)
    {
        var (x, y, w, h) = _grid.Rect(cell);
        double n = Math.Max(1, _pixels[cell]);
        return new PatchScore(image, x, y, w, h, _entropy[cell] / n, _margin[cell] / n, sampled ? _disagreement[cell] / n : double.NaN);
    }
}
