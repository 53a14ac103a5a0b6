using InSitu.Data;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Tests.Training;

public class MultiLabelTests
{
    [Fact]
    public void TheLossIsTheSumOfEachLabelsMeanBinaryCrossEntropy()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var logits = Tensor.FromArray(new float[] { 2, -1, 0.5f, -3, 1, 0 }, 2, 3);
        var targets = Tensor.FromArray(new float[] { 1, 0, 0, 1, 1, 0 }, 2, 3);
        double expected = 0;
        var l = logits.ToFloatArray();
        var t = targets.ToFloatArray();
        for (int j = 0; j < 3; j++)
        {
            double perLabel = 0;
            for (int i = 0; i < 2; i++)
            {
                double p = 1 / (1 + Math.Exp(-l[i * 3 + j]));
                perLabel -= t[i * 3 + j] * Math.Log(p) + (1 - t[i * 3 + j]) * Math.Log(1 - p);
            }
            expected += perLabel / 2;
        }
        Assert.Equal(expected, MultiLabelTask.Loss(logits, targets).Item(), 5);
    }

    [Fact]
    public void RecalibratedStatisticsAreThoseOfTheImages()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(3);
        var images = Factory.Randn(new long[] { 24, 2, 4, 4 }).Mul(3).Add(5);
        var bn = new BatchNorm2d(2, momentum: 0.001);
        var model = new Sequential(bn, new ReLU());
        var source = new TensorBatchSource(images, Factory.Zeros(new long[] { 24 }, DType.Int64), batchSize: 8, shuffle: false);
        BatchNormRecalibration.Recalibrate(model, source, batches: 10);
        var mean = images.Mean([0, 2, 3]).ToFloatArray();
        Assert.Equal(mean, bn.RunningMean.ToFloatArray(), (a, b) => Math.Abs(a - b) < 1e-4);
        // the average of the three batches' unbiased variances
        var perBatch = Enumerable.Range(0, 3).Select(k => images.Narrow(0, 8 * k, 8).Var([0, 2, 3],
            unbiased: true).ToFloatArray()).ToList();
        var variance = Enumerable.Range(0, 2).Select(c => perBatch.Average(v => v[c])).ToArray();
        var running = bn.RunningVar.ToFloatArray();
        for (int c = 0; c < 2; c++) Assert.Equal(variance[c], running[c], 3);
        Assert.False(model.Training);
    }
}
