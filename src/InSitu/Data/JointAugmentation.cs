using InSitu.Common;
using InSitu.Imaging;

namespace InSitu.Data;

/// <summary>
/// Augmentations of a patch and its label mask together, for segmentation from few patches (seed 003's "heavy
/// augmentation"): a quarter turn by a random multiple of 90 degrees (square patches), elastic deformation
/// (<see cref="ElasticDeformation"/>, with probability <see cref="ElasticProbability"/>), and intensity jitter of the
/// image alone: gamma exp(U(-g, g)), contrast x(1 + U(-c, c)) around mid-grey and a brightness shift U(-b, b). Flips,
/// blur and noise come from the loader's <see cref="AugmentOptions"/>. Zero values switch a change off.
/// </summary>
public sealed record JointAugmentOptions(
    bool Rotate90 = true,
    float ElasticProbability = 0.5f,
    float ElasticAlpha = 3,
    float ElasticSigma = 8,
    float Gamma = 0.2f,
    float Contrast = 0.2f,
    float Brightness = 0.1f)
{
    public static readonly JointAugmentOptions None = new(false, 0, 0, 8, 0, 0, 0);
}

public static class JointAugmentation
{
    /// <summary>
    /// Augments the C x H x W <paramref name="image"/> (values in [0, 1]) and, when given, the H x W labels at
    /// <paramref name="maskOffset"/> of <paramref name="mask"/> in place; returns the image (a new array when it changed).
    /// </summary>
    public static float[] Apply(float[] image, long[]? mask, int maskOffset, int channels, int height, int width,
        JointAugmentOptions o, SeededRandom r)
    {
        int plane = height * width;
        if (o.Rotate90)
        {
            if (height != width) throw new ArgumentException($"quarter turns need square patches, not {width}x{height}");
            int turns = r.Int(4);
            if (turns > 0)
            {
                image = Rotate(image, channels, height, turns);
                if (mask is not null)
                {
                    var m = Rotate(mask.AsSpan(maskOffset, plane).ToArray(), 1, height, turns);
                    m.CopyTo(mask, maskOffset);
                }
            }
        }
        if (o.ElasticProbability > 0 && o.ElasticAlpha > 0 && r.Chance(o.ElasticProbability))
        {
            var field = ElasticDeformation.Random(height, width, o.ElasticAlpha, o.ElasticSigma, r);
            image = ElasticDeformation.WarpImage(image, channels, field);
            if (mask is not null) ElasticDeformation.WarpLabels(mask, maskOffset, field);
        }
        if (o.Gamma > 0 || o.Contrast > 0 || o.Brightness > 0)
        {
            float gamma = o.Gamma > 0 ? MathF.Exp(r.Uniform(-o.Gamma, o.Gamma)) : 1;
            float contrast = 1 + (o.Contrast > 0 ? r.Uniform(-o.Contrast, o.Contrast) : 0);
            float shift = o.Brightness > 0 ? r.Uniform(-o.Brightness, o.Brightness) : 0;
            var jittered = new float[image.Length];
            for (int i = 0; i < image.Length; i++)
            {
                float v = gamma == 1 ? image[i] : MathF.Pow(Math.Clamp(image[i], 0, 1), gamma);
                jittered[i] = (v - 0.5f) * contrast + 0.5f + shift;
            }
            image = jittered;
        }
        return image;
    }

    /// <summary>
    /// Each of <paramref name="channels"/> n x n planes turned counter-clockwise by 90 degrees <paramref name="turns"/> times.
    /// </summary>
    public static T[] Rotate<T>(T[] src, int channels, int n, int turns)
    {
        var dst = new T[src.Length];
        int plane = n * n;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    var (sy, sx) = (turns & 3) switch
                    {
                        1 => (x, n - 1 - y),
                        2 => (n - 1 - y, n - 1 - x),
                        3 => (n - 1 - x, y),
                        _ => (y, x),
                    };
                    dst[c * plane + y * n + x] = src[c * plane + sy * n + sx];
                }
        return dst;
    }
}
