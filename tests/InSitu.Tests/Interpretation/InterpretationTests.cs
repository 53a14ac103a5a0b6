using InSitu.Common;
using InSitu.Interpretation;
using InSitu.Models;
using InSitu.Synthesis;
using InSitu.Torch.NN;
using InSitu.Training;

namespace InSitu.Tests.Interpretation;

public class InterpretationTests : TempFolderTest
{
    /// <summary>A small smooth model in float64: 2 classes from a 1x4x5 image through a tanh layer.</summary>
    private static Func<Tensor, Tensor> SmoothModel(out Tensor w1, out Tensor w2)
    {
        TorchRuntime.ManualSeed(11);
        var a = Factory.Randn(new long[] { 6, 20 }, DType.Float64);
        var b = Factory.Randn(new long[] { 2, 6 }, DType.Float64);
        (w1, w2) = (a, b);
        return x => F.Linear(F.Linear(x.Flatten(1), a).Tanh(), b);
    }

    [Fact]
    public void SaliencyIsTheGradientOfTheClassScore()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var model = SmoothModel(out _, out _);
        var x = Factory.Randn(new long[] { 3, 1, 4, 5 }, DType.Float64);
        var classes = new long[] { 0, 1, 1 };
        var (g, used) = Attribution.Gradient(model, x, classes);
        Assert.Equal(classes, used);
        var grad = g.ToDoubleArray();
        var xv = x.ToDoubleArray();
        const double eps = 1e-6;
        double Score(double[] v, int n)
        {
            using var s = TorchRuntime.NewDisposeScope();
            using var _ = Autograd.NoGrad();
            return model(Tensor.FromArray(v, 3, 1, 4, 5)).ToDoubleArray()[n * 2 + classes[n]];
        }
        for (int i = 0; i < xv.Length; i++)
        {
            int n = i / 20;
            var plus = (double[])xv.Clone();
            var minus = (double[])xv.Clone();
            plus[i] += eps;
            minus[i] -= eps;
            double fd = (Score(plus, n) - Score(minus, n)) / (2 * eps);
            Assert.True(Math.Abs(fd - grad[i]) < 1e-6, $"pixel {i}: finite difference {fd} vs gradient {grad[i]}");
        }
        // the saliency map is the gradient's magnitude
        var (map, _) = Attribution.Saliency(model, x, classes);
        Assert.Equal(grad.Select(Math.Abs), map.ToDoubleArray().Select(v => v), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void GuidedBackpropagationWithoutReluIsTheGradientAndWithReluPassesNoNegativeGradient()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        TorchRuntime.ManualSeed(11);
        using var smooth = Float64(new Sequential(new Flatten(), new Linear(20, 6), new Tanh(), new Linear(6, 2)));
        var x = Factory.Randn(new long[] { 2, 1, 4, 5 }, DType.Float64);
        var (plain, _) = Attribution.Gradient(smooth.Forward, x, new long[] { 1, 0 });
        Tensor guided;
        using (GuidedBackprop.Attach(smooth)) (guided, _) = Attribution.Gradient(smooth.Forward, x, new long[] { 1, 0 });
        Assert.Equal(plain.ToDoubleArray(), guided.ToDoubleArray());

        // o = sum(w * relu(x)) with weights of both signs: the plain gradient is w where x > 0, the guided one only
        // its positive part
        var w = Factory.Randn(new long[] { 1, 20 }, DType.Float64);
        var linear = new Linear(20, 1, bias: false);
        using var relu = Float64(new Sequential(new Flatten(), new ReLU(), linear));
        using (Autograd.NoGrad()) linear.Weight.Copy_(w);
        var (g0, _) = Attribution.Gradient(relu.Forward, x, new long[] { 0, 0 });
        Tensor g1;
        using (GuidedBackprop.Attach(relu)) (g1, _) = Attribution.Gradient(relu.Forward, x, new long[] { 0, 0 });
        var xv = x.ToDoubleArray();
        var wv = w.ToDoubleArray();
        var p = g0.ToDoubleArray();
        var q = g1.ToDoubleArray();
        Assert.Contains(p, v => v < 0);
        for (int i = 0; i < xv.Length; i++)
        {
            Assert.True(q[i] >= 0, "a negative gradient passed a guided ReLU");
            Assert.Equal(xv[i] > 0 ? Math.Max(wv[i % 20], 0) : 0, q[i], 12);
        }
        // the guidance ends with its handle
        var (after, _) = Attribution.Gradient(relu.Forward, x, new long[] { 0, 0 });
        Assert.Equal(p, after.ToDoubleArray());
        // and Attribution.Guided is its positive part, the largest over channels (one channel here)
        var (map, _) = Attribution.Guided(relu, x, new long[] { 0, 0 });
        Assert.Equal(q, map.ToDoubleArray());
    }

    private static Sequential Float64(Sequential model)
    {
        model.To(Device.CPU, DType.Float64);
        return model;
    }

    /// <summary>
    /// Images whose only class cue is a bright square in a known corner region, with bright distractor squares
    /// elsewhere in both classes: a network that learned the task must put its saliency in that region.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void SaliencyConcentratesOnTheOnlyCue()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        const int n = 240, size = 32;
        var random = new SeededRandom(5);
        var data = new float[n * size * size];
        var labels = new long[n];
        void Square(int image, int x0, int y0)
        {
            for (int y = y0; y < y0 + 4; y++)
                for (int x = x0; x < x0 + 4; x++) data[image * size * size + y * size + x] = 2f;
        }
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < size * size; k++) data[i * size * size + k] = 0.3f * random.Normal();
            labels[i] = i % 2;
            if (labels[i] == 1) Square(i, random.Int(6), random.Int(6));               // cue: inside the 10x10 top-left region
            Square(i, 12 + random.Int(16), 12 + random.Int(16));                       // distractor: the far part of the image
        }
        var x = Tensor.FromArray(data, n, 1, size, size);
        var y = Tensor.FromArray(labels, n);
        TorchRuntime.ManualSeed(2);
        using var net = new ResNet(ResNetConfig.Paper(1, 2, size, size, baseWidth: 4));
        var config = new TrainingConfig
        {
            Epochs = 6,
            BatchSize = 16,
            LearningRate = 0.05,
            Milestones = new[] { 5 },
            FlipHorizontal = false,
            FlipVertical = false
        };
        TrainingHelpers.Fit(net, config, Path.Combine(dir, "run"), x, y, x, y);
        Assert.True(TrainingHelpers.Accuracy(net, x, y) > 0.9);

        net.Eval();
        var cue = Enumerable.Range(0, n).Where(i => labels[i] == 1).Select(i => (long)i).ToArray();
        using var idx = Tensor.FromArray(cue, cue.Length);
        var (map, _) = Attribution.Saliency(net.Forward, x.IndexSelect(0, idx), Enumerable.Repeat(1L, cue.Length).ToArray());
        var m = map.ToFloatArray();
        double inside = 0, total = 0;
        for (int i = 0; i < m.Length; i++)
        {
            int px = i % size, py = i / size % size;
            total += m[i];
            if (px < 10 && py < 10) inside += m[i];
        }
        double share = inside / total, area = 100.0 / (size * size);
        Assert.True(share > 3 * area, $"saliency mass in the cue region {share:P1} vs its area share {area:P1}");
    }

    [Fact]
    public void StainIsSeparatedFromTheEmbryoAndAGemOfIdenticalImagesIsThatImagesStainMap()
    {
        var model = new EmbryoModel(11.5f, new[] { TermAnatomy.Site("embryonic midgut") }, new SeededRandom(3), 0);
        var place = new EmbryoPlacement(160, 64, 145, 0);
        var photo = new PhotoConditions(Background: 230, TintRed: 1, TintBlue: 0.98f, IlluminationSlope: 0, IlluminationAngle: 0,
            Vignette: 0, StainStrength: 1.5f, StainHue: 0, BackgroundStain: 0.03f, TissueDensity: 0.03f, DicStrength: 1, ShearDegrees: -45,
            StainSoftness: 0.02f, Blur: 0.3f, NoiseSigma: 1, DefocusShare: 0, DefocusAngle: 0, WhiteSurround: false);
        var rgb = EmbryoRenderer.Render(320, 128, new[] { (model, place) }, photo, new SeededRandom(1));
        var separation = new StainSeparation();
        var active = separation.Active(rgb, 320, 128);
        int stainedHit = 0, stained = 0, clearHit = 0, clear = 0;
        for (int y = 0; y < 128; y++)
            for (int x = 0; x < 320; x++)
            {
                var (alpha, _, stain) = model.Evaluate((x + 0.5f - 160) / 145, -(y + 0.5f - 64) / (145 / EmbryoModel.Aspect), 0.02f);
                if (alpha < 1) continue;
                if (stain > 0.5f) { stained++; stainedHit += active[y * 320 + x] > 0 ? 1 : 0; }
                else if (stain == 0) { clear++; clearHit += active[y * 320 + x] > 0 ? 1 : 0; }
            }
        Assert.True(stained > 200 && clear > 2000);
        Assert.True(stainedHit > 0.8 * stained, $"only {stainedHit} of {stained} stained pixels found");
        Assert.True(clearHit < 0.05 * clear, $"{clearHit} of {clear} unstained embryo pixels called active");

        var gems = new ExpressionMaps(320, 128);
        for (int i = 0; i < 5; i++) gems.Add(12, active);
        Assert.Equal(active, gems.Map(12));
        Assert.Equal(5, gems.Images(12));
        Assert.All(gems.Map(7), v => Assert.Equal(0, v));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }
}
