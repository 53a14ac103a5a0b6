using InSitu.Classic;

namespace InSitu.Tests.Classic;

public class EnsembleTests
{
    [Fact]
    public void EachMemberTakesTheMinorityAndAsManyMajorityRows()
    {
        var labels = Enumerable.Range(0, 40).Select(i => i % 5 == 0).ToArray(); // 8 positives, 32 negatives
        var mask = UndersampledEnsemble.Masks(labels, 7, undersample: true, new Random(3));
        var distinct = new HashSet<string>();
        for (int m = 0; m < 7; m++)
        {
            var rows = Enumerable.Range(0, 40).Where(i => mask[i * 7 + m] == 1).ToList();
            Assert.Equal(16, rows.Count);
            Assert.All(Enumerable.Range(0, 40).Where(i => labels[i]), i => Assert.Contains(i, rows));
            Assert.Equal(8, rows.Count(i => !labels[i]));
            distinct.Add(string.Join(",", rows));
        }
        Assert.True(distinct.Count > 1, "every member drew the same majority rows");
        Assert.Equal(mask, UndersampledEnsemble.Masks(labels, 7, undersample: true, new Random(3)));
        Assert.All(UndersampledEnsemble.Masks(labels, 3, undersample: false, new Random(3)), v => Assert.Equal(1, v));
    }

    [Fact]
    public void ModelsFittedTogetherEqualModelsFittedAlone()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(5);
        var x = Factory.Randn(new long[] { 30, 8 }, DType.Float64);
        var y = x.Narrow(1, 0, 1).Add(x.Narrow(1, 1, 1).Mul(0.5)).Gt(0).Cast(DType.Float64);
        var gram = x.MatMul(x.T());
        var maskA = Tensor.FromArray(Enumerable.Range(0, 30).Select(i => i < 24 ? 1.0 : 0).ToArray(), 30, 1);
        var maskB = Tensor.FromArray(Enumerable.Range(0, 30).Select(i => i % 3 != 0 ? 1.0 : 0).ToArray(), 30, 1);
        using var together = GramLogisticRegression.Fit(gram, Tensor.Cat([y, y], 1), Tensor.Cat([maskA, maskB], 1), [0.05, 0.5],
            maxIterations: 5000, tolerance: 1e-10);
        using var a = GramLogisticRegression.Fit(gram, y, maskA, [0.05], maxIterations: 5000, tolerance: 1e-10);
        using var b = GramLogisticRegression.Fit(gram, y, maskB, [0.5], maxIterations: 5000, tolerance: 1e-10);
        var both = together.Alpha.ToDoubleArray();
        var alone = a.Alpha.ToDoubleArray().Zip(b.Alpha.ToDoubleArray()).SelectMany(p => new[] { p.First, p.Second }).ToArray();
        for (int i = 0; i < both.Length; i++) Assert.Equal(alone[i], both[i], 7);
        Assert.Equal(a.Bias.ToDoubleArray()[0], together.Bias.ToDoubleArray()[0], 7);
        Assert.Equal(b.Bias.ToDoubleArray()[0], together.Bias.ToDoubleArray()[1], 7);
    }

    [Fact]
    public void AModelWithOneClassIsRefused()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var gram = Factory.Eye(4, DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => GramLogisticRegression.Fit(gram, Factory.Zeros(new long[] { 4, 1 }, DType.Float64),
            Factory.Ones(new long[] { 4, 1 }, DType.Float64), [0.1]));
        Assert.Contains("both classes", e.Message);
    }

    [Fact]
    public void ScoresAreVoteFractionsAndTheBestInnerLambdaIsKept()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(11);
        int n = 80;
        var x = Factory.Randn(new long[] { n, 20 }, DType.Float64);
        var signal = x.Narrow(1, 0, 1).Flatten().ToDoubleArray();
        var labels = new List<bool[]>
        {
            signal.Select(v => v > 0.6).ToArray(),                                   // imbalanced, learnable
            Enumerable.Range(0, n).Select(i => i % 4 == 0).ToArray(),                // noise
        };
        var groups = Enumerable.Range(0, n).Select(i => i / 2).ToList();            // pairs of rows share a "gene"
        var options = new LogisticEnsembleOptions { Members = 5, Lambdas = [0.001, 0.1, 10] };
        using var ensemble = LogisticEnsemble.Train(x.MatMul(x.T()), labels, groups, options, seed: 2);
        Assert.Equal(10, ensemble.Alpha.Size(1));
        var scores = ensemble.Scores(x.MatMul(x.T()));
        Assert.All(scores.SelectMany(s => s), s => Assert.Equal(0, s * 5 - Math.Round(s * 5), 9));
        // on its training rows the learnable label is ranked well
        var auc = InSitu.Evaluation.RocAuc.Binary(scores.Select(s => s[0]).ToArray(), labels[0].Select(v => v ? 1L : 0L).ToArray());
        Assert.True(auc > 0.9, $"training AUC {auc}");
        for (int l = 0; l < 2; l++)
        {
            var tried = ensemble.InnerAuc[l];
            Assert.Equal(3, tried.Count);
            double best = tried.Values.Max();
            // the largest lambda among the best inner AUCs
            Assert.Equal(tried.Where(p => p.Value == best).Max(p => p.Key), ensemble.Lambdas[l]);
        }
    }

    [Fact]
    public void ALabelWhoseHeldOutRowsLackAClassGetsTheMiddleLambda()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(2);
        var x = Factory.Randn(new long[] { 12, 3 }, DType.Float64);
        var rare = new bool[12];
        rare[0] = true; // one positive: it cannot be in both the inner training and the held-out rows
        using var ensemble = LogisticEnsemble.Train(x.MatMul(x.T()), [rare], Enumerable.Range(0, 12).ToList(),
            new LogisticEnsembleOptions { Members = 3, Lambdas = [0.01, 0.1, 1] }, seed: 1);
        Assert.Equal(0.1, ensemble.Lambdas[0]);
        Assert.Empty(ensemble.InnerAuc[0]);
    }
}
