using InSitu.Common;
using InSitu.Synthesis;

namespace InSitu.Data;

/// <summary>
/// Random training-time changes to an image that keep its label: flips, rotation up to a maximum angle, a random
/// crop of the image padded by <see cref="CropPadding"/> pixels (a shift), Gaussian blur and Gaussian noise.
/// Zero values switch a change off.
/// </summary>
public sealed record AugmentOptions(
    bool FlipHorizontal = true,
    bool FlipVertical = true,
    float MaxRotationDegrees = 15,
    int CropPadding = 8,
    float BlurProbability = 0.3f,
    float MaxBlurSigma = 1.0f,
    float NoiseSigma = 0.02f)
{
    public static readonly AugmentOptions None = new(false, false, 0, 0, 0, 0, 0);
}

/// <summary>Applies <see cref="AugmentOptions"/> to one CxHxW float image in [0, 1], driven by the caller's random stream.</summary>
public static class Augmentation
{
    public static float[] Apply(float[] image, int channels, int height, int width, AugmentOptions o, SeededRandom r)
    {
        // flips, rotation and crop shift are one affine map, so the image is resampled once
        bool flipX = o.FlipHorizontal && r.Chance(0.5f), flipY = o.FlipVertical && r.Chance(0.5f);
        float angle = o.MaxRotationDegrees > 0 ? r.Uniform(-o.MaxRotationDegrees, o.MaxRotationDegrees) * MathF.PI / 180 : 0;
        float shiftX = o.CropPadding > 0 ? r.Uniform(-o.CropPadding, o.CropPadding) : 0;
        float shiftY = o.CropPadding > 0 ? r.Uniform(-o.CropPadding, o.CropPadding) : 0;
        var result = image;
        if (flipX || flipY || angle != 0 || shiftX != 0 || shiftY != 0)
            result = Warp(image, channels, height, width, angle, MathF.Round(shiftX), MathF.Round(shiftY), flipX, flipY);
        if (o.BlurProbability > 0 && o.MaxBlurSigma > 0 && r.Chance(o.BlurProbability))
            result = BlurChannels(result, channels, height, width, r.Uniform(0.3f, o.MaxBlurSigma));
        if (o.NoiseSigma > 0)
        {
            if (ReferenceEquals(result, image)) result = (float[])image.Clone();
            float sigma = r.Uniform(0, o.NoiseSigma);
            for (int i = 0; i < result.Length; i++) result[i] += sigma * r.Normal();
        }
        return result;
    }

    /// <summary>
    /// Output pixel p takes input pixel R^-1 (p - c - shift) + c (bilinear), with mirroring applied last; pixels from
    /// outside the image repeat its border, which for ISH photos is the light background.
    /// </summary>
    public static float[] Warp(float[] src, int channels, int height, int width, float angle, float shiftX,
        float shiftY, bool flipX, bool flipY)
    {
        var dst = new float[src.Length];
        float cx = (width - 1) / 2f, cy = (height - 1) / 2f, cos = MathF.Cos(angle), sin = MathF.Sin(angle);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float ox = (flipX ? width - 1 - x : x) - cx - shiftX, oy = (flipY ? height - 1 - y : y) - cy - shiftY;
                float sx = cos * ox + sin * oy + cx, sy = -sin * ox + cos * oy + cy;
                Imaging.Bilinear.Sample(src, channels, width, height, Math.Clamp(sx, 0, width - 1), Math.Clamp(sy, 0, height - 1), dst,
                    y * width + x);
            }
        return dst;
    }

    /// <summary>Gaussian blur of each plane of a CxHxW image.</summary>
    public static float[] BlurChannels(float[] src, int channels, int height, int width, float sigma)
    {
        var dst = new float[src.Length];
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            Imaging.GaussianBlur.Apply(src, dst, c * plane, width, height, 1, sigma);
        return dst;
    }
}
