using InSitu.Torch;

namespace InSitu.Demo;

/// <summary>
/// Small generated images for the engine demo: a grey ellipse ("embryo") on a light background with a dark
/// stain domain whose position along the body (anterior, central, posterior) is the class; position jitter,
/// stain strength and width, noise and embryo size vary, and stain positions of neighbouring classes overlap. A stand-in until the BDGP-like simulator exists.
/// </summary>
public static class ToyEmbryos
{
    public static readonly string[] ClassNames = { "anterior", "central", "posterior" };

    /// <summary>One gray image, HxWx1 uint8, for class c with randomness from rng.</summary>
    public static Tensor Render(int c, int height, int width, Random rng)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var ys = Factory.Arange(0, height, dtype: DType.Float32).View(height, 1).Div(height - 1).Mul(2.0).Sub(1.0);
        var xs = Factory.Arange(0, width, dtype: DType.Float32).View(1, width).Div(width - 1).Mul(2.0).Sub(1.0);
        double cx = (rng.NextDouble() - 0.5) * 0.1, cy = (rng.NextDouble() - 0.5) * 0.1;
        double ax = 0.8 + rng.NextDouble() * 0.12, ay = 0.7 + rng.NextDouble() * 0.15;
        var ex = xs.Sub(cx).Div(ax);
        var ey = ys.Sub(cy).Div(ay);
        var r2 = ex.Square() + ey.Square();
        var body = r2.Le(1.0).Cast(DType.Float32);
        // Jitter wider than half the spacing between class centres: neighbouring classes overlap near their borders.
        double stainX = cx + ax * (c switch { 0 => -0.45, 1 => 0.0, _ => 0.45 } + (rng.NextDouble() - 0.5) * 0.6);
        double sigma = 0.12 + rng.NextDouble() * 0.12, strength = 0.1 + rng.NextDouble() * 0.3;
        var stain = xs.Sub(stainX).Square().Div(-2 * sigma * sigma).Exp().Mul(strength).Mul(body);
        double background = 0.85 + rng.NextDouble() * 0.1, tissue = 0.62 + rng.NextDouble() * 0.1;
        var image = body.Mul(tissue - background).Add(background).Sub(stain);
        var noise = Factory.Randn(new long[] { height, width }).Mul(0.08);
        var pixels = image.Add(noise).Clamp(0, 1).Mul(255.0).Round().Cast(DType.UInt8).Unsqueeze(2);
        return scope.MoveToOuter(pixels);
    }
}
