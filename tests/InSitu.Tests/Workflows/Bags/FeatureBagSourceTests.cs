using InSitu.Workflows.Bags;

namespace InSitu.Tests.Workflows.Bags;

/// <summary>The bag model's training batches: views by epoch, a new image order per epoch, the same epoch the same batches.</summary>
public class FeatureBagSourceTests
{
    private static FeatureBag Bag(string id, int images, params float[] viewOffsets) =>
        new(id, viewOffsets.Select(o => Enumerable.Range(0, images * 2).Select(i => o + i).Select(v => (float)v).ToArray()).ToList(),
            new float[] { 1, 0 }, new float[] { 1, 1 });

    private static List<float[]> Epoch(FeatureBagSource source, int epoch) =>
        source.Epoch(epoch).Select(b =>
        {
            using (b) return b.Bags.Features.ToFloatArray();
        }).ToList();

    [Fact]
    public void EpochsCycleThroughTheViewsAndReorderImagesDeterministically()
    {
        var bags = new[] { Bag("a", 3, 0, 1000), Bag("b", 1, 0, 1000), Bag("c", 4, 0, 1000) };
        var source = new FeatureBagSource(bags, width: 2, batchSize: 2, seed: 5, shuffle: true);
        Assert.Equal(2, source.BatchesPerEpoch);
        var e0 = Epoch(source, 0);
        var e1 = Epoch(source, 1);
        Assert.All(e0.SelectMany(x => x), v => Assert.True(v < 1000)); // epoch 0: view 0
        Assert.All(e1.SelectMany(x => x), v => Assert.True(v >= 1000)); // epoch 1: view 1
        Assert.Equal(e0, Epoch(source, 0)); // the same epoch twice: the same batches
        Assert.Equal(e0.SelectMany(x => x).Order(), Epoch(source, 2).SelectMany(x => x).Order()); // view 0 again, same images
        Assert.NotEqual(e0.SelectMany(x => x), Epoch(source, 2).SelectMany(x => x)); // in another order
        // each image keeps its feature vector whole: pairs (2k, 2k + 1) stay together whatever the order
        foreach (var batch in e0)
            for (int i = 0; i < batch.Length; i += 2) Assert.Equal(batch[i] + 1, batch[i + 1]);
        var unshuffled = Epoch(new FeatureBagSource(bags, 2, 3, 5, shuffle: false), 0).Single();
        var inOrder = Enumerable.Range(0, 6).Concat(Enumerable.Range(0, 2)).Concat(Enumerable.Range(0, 8)).Select(v => (float)v);
        Assert.Equal(inOrder, unshuffled);
    }
}
