using System.Text.Json;
using InSitu.Evaluation;

namespace InSitu.Tests.Evaluation;

/// <summary>
/// The cases of Fixtures/sklearn_metrics.json, written by tests/fixtures/make_sklearn_fixtures.py: inputs and
/// scikit-learn's results, null where the metric is undefined (read here as NaN).
/// </summary>
internal static class SklearnFixture
{
    private const string File = "sklearn_metrics.json";

    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", File);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"fixture '{path}' is missing; regenerate it with " +
                "`/usr/bin/python3 tests/fixtures/make_sklearn_fixtures.py`", path);
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var c in Root.Value.GetProperty(section).EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    public static JsonElement Case(string section, string name) =>
        Root.Value.GetProperty(section).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static double D(this JsonElement c, string key) => Num(c.GetProperty(key));
    public static double[] Ds(this JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(Num).ToArray();
    public static long L(this JsonElement c, string key) => c.GetProperty(key).GetInt64();
    public static long? OptL(this JsonElement c, string key) =>
        c.GetProperty(key).ValueKind == JsonValueKind.Null ? null : c.GetProperty(key).GetInt64();
    public static long[] Ls(this JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public static long[][] Ls2(this JsonElement c, string key) =>
        c.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();

    public static double[][] Ds2(this JsonElement c, string key) =>
        c.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(Num).ToArray()).ToArray();

    private static double Num(JsonElement v) => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble();
}

/// <summary>Agreement to 1e-12, NaN only with NaN.</summary>
internal static class Near
{
    public const double Tol = 1e-12;

    public static void Equal(double expected, double actual, string what)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
            Assert.True(double.IsNaN(expected) && double.IsNaN(actual), $"{what}: expected {expected:R}, got {actual:R}");
        else
            Assert.True(Math.Abs(expected - actual) <= Tol, $"{what}: expected {expected:R}, got {actual:R}");
    }

    public static void Equal(double[] expected, double[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++) Equal(expected[i], actual[i], $"{what}[{i}]");
    }
}

public class ConfusionMatrixMetricsTests
{
    public static TheoryData<string> Cases => SklearnFixture.Names("confusion");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScikitLearn(string name)
    {
        var c = SklearnFixture.Case("confusion", name);
        var m = ConfusionMatrix.Of(c.Ls("predicted"), c.Ls("truth"), (int)c.L("classes"), c.OptL("ignore"));
        Assert.Equal(c.Ls2("counts"), m.ToArray());
        Near.Equal(c.Ds("per_class_accuracy"), m.PerClassAccuracy(), $"{name} per-class accuracy");
        Near.Equal(c.D("overall_accuracy"), m.OverallAccuracy, $"{name} overall accuracy");
        Near.Equal(c.D("mean_per_class_accuracy"), m.MeanPerClassAccuracy, $"{name} mean per-class accuracy");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AddingInTwoBatchesEqualsAllAtOnce(string name)
    {
        var c = SklearnFixture.Case("confusion", name);
        long[] p = c.Ls("predicted"), t = c.Ls("truth");
        var m = new ConfusionMatrix((int)c.L("classes"));
        m.Add(p.AsSpan(0, 7), t.AsSpan(0, 7), c.OptL("ignore"));
        m.Add(p.AsSpan(7), t.AsSpan(7), c.OptL("ignore"));
        Assert.Equal(c.Ls2("counts"), m.ToArray());
    }

    [Fact]
    public void EmptyMatrixHasNoAccuracy()
    {
        var m = new ConfusionMatrix(3);
        Assert.Equal(0, m.Total);
        Assert.True(double.IsNaN(m.OverallAccuracy));
        Assert.True(double.IsNaN(m.MeanPerClassAccuracy));
        Assert.All(m.PerClassAccuracy(), a => Assert.True(double.IsNaN(a)));
    }

    [Fact]
    public void BadClassIndexIsRejectedAndCountsNothing()
    {
        var m = ConfusionMatrix.Of(new long[] { 0, 1 }, new long[] { 0, 1 }, 2);
        Assert.Throws<ArgumentException>(() => m.Add(new long[] { 1, 2 }, new long[] { 1, 1 }));
        Assert.Throws<ArgumentException>(() => m.Add(new long[] { 1, 1 }, new long[] { 1, -1 }));
        Assert.Throws<ArgumentException>(() => m.Add(new long[] { 1 }, new long[] { 1, 1 }));
        Assert.Equal(2, m.Total);
        // the ignore value in truth is skipped, whatever was predicted there
        m.Add(new long[] { 1, 7 }, new long[] { 1, 255 }, ignore: 255);
        Assert.Equal(3, m.Total);
        Assert.Equal(2, m[1, 1]);
    }
}

public class RocAucMetricsTests
{
    public static TheoryData<string> Binaries => SklearnFixture.Names("roc");
    public static TheoryData<string> MultiLabels => SklearnFixture.Names("roc_multilabel");

    [Theory]
    [MemberData(nameof(Binaries))]
    public void BinaryAucAndCurveMatchScikitLearn(string name)
    {
        var c = SklearnFixture.Case("roc", name);
        double[] scores = c.Ds("scores");
        long[] labels = c.Ls("labels");
        Near.Equal(c.D("auc"), RocAuc.Binary(scores, labels), $"{name} AUC");
        var curve = RocAuc.Curve(scores, labels);
        Near.Equal(c.Ds("fpr"), curve.FalsePositiveRate, $"{name} fpr");
        Near.Equal(c.Ds("tpr"), curve.TruePositiveRate, $"{name} tpr");
        Assert.Equal(double.PositiveInfinity, curve.Thresholds[0]);
        Near.Equal(c.Ds("thresholds"), curve.Thresholds[1..], $"{name} thresholds");
    }

    [Theory]
    [MemberData(nameof(MultiLabels))]
    public void MacroAndSamplesMatchScikitLearnOverTheDefinedItems(string name)
    {
        var c = SklearnFixture.Case("roc_multilabel", name);
        double[][] scores = c.Ds2("scores");
        long[][] labels = c.Ls2("labels");
        var macro = RocAuc.Macro(scores, labels);
        Near.Equal(c.Ds("per_label"), macro.Values, $"{name} per label");
        Near.Equal(c.D("macro"), macro.Mean, $"{name} macro");
        Assert.Equal(c.L("macro_defined"), macro.Defined);
        Assert.Equal(labels[0].Length - c.L("macro_defined"), macro.Skipped);
        var samples = RocAuc.Samples(scores, labels);
        Near.Equal(c.Ds("per_sample"), samples.Values, $"{name} per sample");
        Near.Equal(c.D("samples"), samples.Mean, $"{name} samples");
        Assert.Equal(c.L("samples_defined"), samples.Defined);
        Assert.Equal(labels.Length - c.L("samples_defined"), samples.Skipped);
    }

    [Fact]
    public void EqualsMannWhitneyWithHalfCreditForTies()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(2, 60);
            var scores = Enumerable.Range(0, n).Select(_ => rng.Next(0, 6) / 5.0).ToArray();
            var labels = Enumerable.Range(0, n).Select(i => i < 2 ? i : (long)rng.Next(0, 2)).ToArray();
            double wins = 0, pairs = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (labels[i] == 1 && labels[j] == 0)
                    {
                        pairs++;
                        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    }
            Near.Equal(wins / pairs, RocAuc.Binary(scores, labels), $"trial {trial}");
        }
    }

    [Fact]
    public void HandCheckedTies()
    {
        // positives 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5) (0.8>0.2) (0.5=0.5 half) (0.5>0.2) = 3.5 / 4
        Assert.Equal(0.875, RocAuc.Binary(new[] { 0.8, 0.5, 0.5, 0.2 }, new long[] { 1, 1, 0, 0 }));
        Assert.Equal(0.5, RocAuc.Binary(new[] { 0.3, 0.3 }, new long[] { 0, 1 }));
    }

    [Fact]
    public void UndefinedEverywhereGivesNaNNotAnError()
    {
        Assert.True(double.IsNaN(RocAuc.Binary(new[] { 0.1, 0.9 }, new long[] { 1, 1 })));
        Assert.True(double.IsNaN(RocAuc.Binary(ReadOnlySpan<double>.Empty, ReadOnlySpan<long>.Empty)));
        var macro = RocAuc.Macro([[0.1, 0.2], [0.3, 0.4]], [[0, 1], [0, 1]]);
        Assert.True(double.IsNaN(macro.Mean));
        Assert.Equal((0, 2), (macro.Defined, macro.Skipped));
    }

    [Fact]
    public void RejectsWhatScikitLearnRejects()
    {
        Assert.Throws<ArgumentException>(() => RocAuc.Binary(new[] { 0.1, double.NaN }, new long[] { 0, 1 }));
        Assert.Throws<ArgumentException>(() => RocAuc.Binary(new[] { 0.1, 0.2 }, new long[] { 0, 2 }));
        Assert.Throws<ArgumentException>(() => RocAuc.Binary(new[] { 0.1, 0.2 }, new long[] { 0 }));
        Assert.Throws<ArgumentException>(() => RocAuc.Macro([[0.1, 0.2], [0.3]], [[0, 1], [1, 0]]));
    }
}

public class F1MetricsTests
{
    public static TheoryData<string> Binaries => SklearnFixture.Names("f1_binary");
    public static TheoryData<string> MultiLabels => SklearnFixture.Names("f1_multilabel");

    [Theory]
    [MemberData(nameof(Binaries))]
    public void BinaryMatchesScikitLearn(string name)
    {
        var c = SklearnFixture.Case("f1_binary", name);
        long[] p = c.Ls("predicted"), t = c.Ls("truth");
        Near.Equal(c.D("f1_zd0"), F1.Binary(p, t), $"{name} default");
        Near.Equal(c.D("f1_zd0"), F1.Binary(p, t, zeroDivision: 0), $"{name} zero_division=0");
        Near.Equal(c.D("f1_zd1"), F1.Binary(p, t, zeroDivision: 1), $"{name} zero_division=1");
    }

    [Theory]
    [MemberData(nameof(MultiLabels))]
    public void MultiLabelMatchesScikitLearn(string name)
    {
        var c = SklearnFixture.Case("f1_multilabel", name);
        long[][] p = c.Ls2("predicted"), t = c.Ls2("truth");
        Near.Equal(c.D("macro_default"), F1.Macro(p, t), $"{name} macro default");
        Near.Equal(c.D("samples_default"), F1.Samples(p, t), $"{name} samples default");
        foreach (var zd in new[] { 0, 1 })
        {
            Near.Equal(c.Ds($"per_label_zd{zd}"), F1.PerLabel(p, t, zd), $"{name} per label zero_division={zd}");
            Near.Equal(c.D($"macro_zd{zd}"), F1.Macro(p, t, zd), $"{name} macro zero_division={zd}");
            Near.Equal(c.D($"samples_zd{zd}"), F1.Samples(p, t, zd), $"{name} samples zero_division={zd}");
        }
    }

    [Fact]
    public void EmptyLabelAndEmptySampleTakeTheZeroDivisionValue()
    {
        // label 1 and sample 1 are empty in both; label 0 and sample 0 are a perfect hit
        long[][] p = [[1, 0], [0, 0]], t = [[1, 0], [0, 0]];
        Assert.Equal(new[] { 1.0, 0.0 }, F1.PerLabel(p, t, 0));
        Assert.Equal(new[] { 1.0, 1.0 }, F1.PerLabel(p, t, 1));
        Assert.Equal(new[] { 1.0, 0.0 }, F1.PerSample(p, t, 0));
        Assert.Equal(0.5, F1.Samples(p, t, 0));
        Assert.Equal(1.0, F1.Samples(p, t, 1));
        // a miss is 0 whatever zeroDivision says
        Assert.Equal(0.0, F1.Binary(new long[] { 0, 0 }, new long[] { 0, 1 }, 1));
    }

    [Fact]
    public void RejectsOtherZeroDivisionValuesAndNonIndicators()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => F1.Binary(new long[] { 1 }, new long[] { 1 }, 0.5));
        Assert.Throws<ArgumentException>(() => F1.Binary(new long[] { 2 }, new long[] { 1 }));
        Assert.Throws<ArgumentException>(() => F1.Macro([], []));
    }
}

public class BinaryRatesMetricsTests
{
    public static TheoryData<string> Cases => SklearnFixture.Names("binary_rates");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScikitLearnWhereDefined(string name)
    {
        var c = SklearnFixture.Case("binary_rates", name);
        var r = BinaryRates.Of(c.Ls("predicted"), c.Ls("truth"));
        Near.Equal(c.D("accuracy"), r.Accuracy, $"{name} accuracy");
        Near.Equal(c.D("sensitivity"), r.Sensitivity, $"{name} sensitivity");
        Near.Equal(c.D("specificity"), r.Specificity, $"{name} specificity");
    }

    [Fact]
    public void CountsAddUpAndNothingGivesNaN()
    {
        var a = BinaryRates.Of(new long[] { 1, 0, 1 }, new long[] { 1, 0, 0 });
        var b = BinaryRates.Of(new long[] { 0 }, new long[] { 1 });
        Assert.Equal(new BinaryRates(1, 1, 1, 1), a + b);
        Assert.Equal(0.5, (a + b).Sensitivity);
        var none = BinaryRates.Of(ReadOnlySpan<long>.Empty, ReadOnlySpan<long>.Empty);
        Assert.True(double.IsNaN(none.Accuracy) && double.IsNaN(none.Sensitivity) && double.IsNaN(none.Specificity));
    }
}

public class OverlapMetricsTests
{
    public static TheoryData<string> Cases => SklearnFixture.Names("overlap");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScikitLearnOnTheNonIgnoredPixels(string name)
    {
        var c = SklearnFixture.Case("overlap", name);
        long[] p = c.Ls("predicted"), t = c.Ls("truth");
        int k = (int)c.L("classes");
        long ignore = c.L("ignore");
        foreach (var zd in new[] { 0, 1 })
        {
            var s = Overlap.PerClass(p, t, k, ignore, zd);
            Near.Equal(c.Ds($"dice_zd{zd}"), s.Dice, $"{name} dice zero_division={zd}");
            Near.Equal(c.Ds($"iou_zd{zd}"), s.IoU, $"{name} IoU zero_division={zd}");
            Near.Equal(c.D($"macro_dice_zd{zd}"), s.MacroDice, $"{name} macro dice zero_division={zd}");
            Near.Equal(c.D($"macro_iou_zd{zd}"), s.MacroIoU, $"{name} macro IoU zero_division={zd}");
            Assert.Equal(t.Count(v => v != ignore), s.Pixels);
            if (k != 2) continue;
            var (dice, iou) = Overlap.Binary(p, t, ignore, zd);
            Near.Equal(c.D($"binary_dice_zd{zd}"), dice, $"{name} binary dice zero_division={zd}");
            Near.Equal(c.D($"binary_iou_zd{zd}"), iou, $"{name} binary IoU zero_division={zd}");
        }
    }

    [Fact]
    public void HandChecked()
    {
        // class 1: TP 2, FP 1, FN 1 -> Dice 4/6, IoU 2/4; class 2 absent from both
        var s = Overlap.PerClass(new long[] { 1, 1, 1, 0, 0 }, new long[] { 1, 1, 0, 1, 0 }, 3);
        Assert.Equal(2.0 / 3, s.Dice[1], 15);
        Assert.Equal(0.5, s.IoU[1], 15);
        Assert.Equal(new[] { true, true, false }, s.Present);
        Assert.Equal(0.0, s.Dice[2]);
    }

    [Fact]
    public void AllIgnoredGivesTheZeroDivisionValueForEveryClass()
    {
        long[] p = [0, 1, 2, 1], t = [255, 255, 255, 255];
        foreach (var zd in new[] { 0.0, 1.0 })
        {
            var s = Overlap.PerClass(p, t, 3, 255, zd);
            Assert.Equal(0, s.Pixels);
            Assert.All(s.Dice.Concat(s.IoU), v => Assert.Equal(zd, v));
            Assert.Equal(zd, s.MacroDice);
            Assert.All(s.Present, v => Assert.False(v));
            Assert.Equal((zd, zd), Overlap.Binary(new long[] { 1, 0 }, new long[] { -1, -1 }, -1, zd));
        }
    }

    [Fact]
    public void PredictionOutsideTheClassesIsAnError()
    {
        Assert.Throws<ArgumentException>(() => Overlap.PerClass(new long[] { 255 }, new long[] { 0 }, 3, 255));
        Assert.Throws<ArgumentException>(() => Overlap.Binary(new long[] { 2 }, new long[] { 0 }));
    }
}

public class SeedSummaryMetricsTests
{
    public static TheoryData<string> Cases => SklearnFixture.Names("seeds");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MeanStdMatchesNumpyWithOneDegreeOfFreedom(string name)
    {
        var c = SklearnFixture.Case("seeds", name);
        var values = c.Ds("values");
        var m = MeanStd.Of(values);
        Near.Equal(c.D("mean"), m.Mean, $"{name} mean");
        Near.Equal(c.D("std"), m.Std, $"{name} std");
        Assert.Equal(c.L("n"), m.N);
        // the same values as element 1 of per-class vectors give the same summary there
        var perSeed = values.Select(v => new[] { 0.0, v }).ToList();
        var e = SeedSummary.PerElement(perSeed)[1];
        Near.Equal(m.Mean, e.Mean, $"{name} per element mean");
        Near.Equal(m.Std, e.Std, $"{name} per element std");
    }

    [Fact]
    public void PerElementNeedsVectorsOfOneLength()
    {
        Assert.Throws<ArgumentException>(() => SeedSummary.PerElement([new[] { 0.1, 0.2 }, new[] { 0.3 }]));
        Assert.Empty(SeedSummary.PerElement([]));
    }
}
