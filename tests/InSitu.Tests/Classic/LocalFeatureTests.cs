using InSitu.Classic;

namespace InSitu.Tests.Classic;

public class LocalFeatureTests
{
    /// <summary>A 1 x 1 x h x w image: dark where the predicate is false, bright where true.</summary>
    private static Tensor Image(int h, int w, Func<int, int, bool> bright)
    {
        var px = new float[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) px[y * w + x] = bright(y, x) ? 0.9f : 0.1f;
        return Tensor.FromArray(px, 1, 1, h, w);
    }

    /// <summary>The energy of each of the 8 orientation channels, summed over the descriptor's cells and positions.</summary>
    private static float[] OrientationEnergy(Tensor descriptors)
    {
        long n = descriptors.Size(0), rows = descriptors.Size(2), cols = descriptors.Size(3);
        return descriptors.Reshape(n, DenseSift.Orientations, DenseSift.Cells * DenseSift.Cells, rows, cols).Sum([0, 2, 3,
            4]).ToFloatArray();
    }

    [Fact]
    public void AnEdgeFillsTheOrientationOfItsGradient()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var sift = new DenseSift(cellSize: 4, step: 1);
        // dark left, bright right: the gradient points along +x (orientation 0)
        var vertical = sift.Compute(Image(32, 32, (_, x) => x >= 16));
        Assert.Equal(new long[] { 1, 128, 5, 5 }, vertical.Shape);
        var energy = OrientationEnergy(vertical);
        Assert.Equal(0, Array.IndexOf(energy, energy.Max()));
        // dark top, bright bottom: image rows grow downwards, so the gradient points along +y (orientation 2, 90 degrees)
        var horizontal = OrientationEnergy(sift.Compute(Image(32, 32, (y, _) => y >= 16)));
        Assert.Equal(2, Array.IndexOf(horizontal, horizontal.Max()));
        // bright left, dark right: the opposite direction (orientation 4, 180 degrees), not the same one
        var flipped = OrientationEnergy(sift.Compute(Image(32, 32, (_, x) => x < 16)));
        Assert.Equal(4, Array.IndexOf(flipped, flipped.Max()));
    }

    [Fact]
    public void DescriptorsAreUnitLengthClippedOrZeroOnFlatRegions()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var sift = new DenseSift(cellSize: 4, step: 2);
        var d = sift.Compute(Image(40, 64, (y, x) => (x / 8 + y / 8) % 2 == 0));
        Assert.Equal(new long[] { 1, 128, sift.Grid(40, 64).rows, sift.Grid(40, 64).columns }, d.Shape);
        var norms = d.Norm([1]).Flatten().ToFloatArray();
        Assert.All(norms, v => Assert.Equal(1, v, 4));
        Assert.True(d.Max().Item() <= 0.2 / 0.2 + 1e-6);
        var flat = sift.Compute(Image(32, 32, (_, _) => false));
        Assert.Equal(0, flat.Abs().Max().Item());
        Assert.Throws<ArgumentException>(() => sift.Compute(Image(12, 12, (_, _) => true)));
    }

    [Fact]
    public void KMeansFindsSeparatedClusters()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(4);
        var centres = Tensor.FromArray(new float[] { 0, 0, 10, 0, 0, 10 }, 3, 2);
        var labels = Tensor.FromArray(Enumerable.Range(0, 150).Select(i => (long)(i % 3)).ToArray(), 150);
        var x = centres.IndexSelect(0, labels).Add(Factory.Randn(new long[] { 150, 2 }).Mul(0.3));
        var found = KMeans.Fit(x, 3, 20, seed: 1).ToFloatArray();
        var truth = centres.ToFloatArray();
        for (int c = 0; c < 3; c++)
        {
            double nearest = Enumerable.Range(0, 3).Min(k => Math.Sqrt(Math.Pow(found[2 * k] - truth[2 * c], 2) + Math.Pow(found[2 * k
                + 1] - truth[2 * c + 1], 2)));
            Assert.True(nearest < 0.3, $"centre {c} missed by {nearest}");
        }
        var assigned = KMeans.Assign(x, KMeans.Fit(x, 3, 20, seed: 1)).ToLongArray();
        for (int i = 3; i < 150; i++) Assert.Equal(assigned[i % 3], assigned[i]);
    }

    [Fact]
    public void DictionaryLearningCodesBetterThanItsKMeansStart()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(9);
        // sparse combinations of 12 hidden atoms in 16 dimensions
        var atoms = Factory.Randn(new long[] { 12, 16 });
        atoms = atoms.Div(atoms.Norm([1], keepDim: true));
        var codes = Factory.Randn(new long[] { 600, 12 }).Mul(Factory.Rand(new long[] { 600, 12 }).Lt(0.2).Cast(DType.Float32));
        var x = codes.MatMul(atoms);
        double Error(Tensor dictionary)
        {
            var a = LassoCoder.Encode(x, dictionary, 0.05, 200);
            return x.Sub(a.MatMul(dictionary)).Square().Sum().Item() + 0.05 * 2 * a.Abs().Sum().Item();
        }
        var start = KMeans.Fit(x, 12, 10, seed: 3);
        var learned = DictionaryLearning.Learn(x, 12, 0.05, rounds: 8, seed: 3);
        Assert.Equal(new long[] { 12, 16 }, learned.Shape);
        Assert.All(learned.Norm([1]).ToFloatArray(), n => Assert.True(n <= 1 + 1e-5));
        Assert.True(Error(learned) < 0.8 * Error(start.Div(start.Norm([1], keepDim: true))), "learning did not improve the codes");
    }

    [Fact]
    public void PyramidPoolsTheWholeMapThenItsCells()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        // one channel, 4 x 4: the value is the cell index of its 2 x 2 quadrant, plus a peak of 9 in the last quadrant
        var px = new float[16];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) px[y * 4 + x] = (y / 2) * 2 + x / 2;
        px[15] = 9;
        var maps = Tensor.FromArray(px, 1, 1, 4, 4);
        Assert.Equal(new float[] { 9, 0, 1, 2, 9 }, LocalFeatureCoding.Pyramid(maps, [1, 2], max: true).ToFloatArray());
        Assert.Equal(new float[] { 30 / 16f, 0, 1, 2, 4.5f }, LocalFeatureCoding.Pyramid(maps, [1, 2], max: false).ToFloatArray());
    }
}
