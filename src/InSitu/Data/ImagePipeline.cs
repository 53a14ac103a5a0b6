using InSitu.Common;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// What happens to one image file on its way into a batch, the same for every source: decode (OpenCV), resize to
/// the model's size, grey or RGB, augment from the stream of its epoch position, normalise.
/// </summary>
internal sealed class ImagePipeline
{
    private readonly LoaderOptions _options;
    private readonly DecodedImageCache? _cache;

    public ImagePipeline(LoaderOptions options, DecodedImageCache? cache)
    {
        Check(options);
        _options = options;
        _cache = cache;
    }

    /// <summary>Refuses options no batch can be made with.</summary>
    public static void Check(LoaderOptions options)
    {
        if (options.BatchSize < 1) throw new ArgumentException("batch size must be at least 1");
        if (options.Height < 8 || options.Width < 8)
            throw new ArgumentException($"image size {options.Height}x{options.Width} is too small (at least 8x8)");
        if (options.Mean.Length != options.Channels || options.Std.Length != options.Channels)
            throw new ArgumentException($"mean and std need {options.Channels} value(s) for {(options.Gray ? "grey" : "RGB")} input");
        if (options.Std.Any(s => s <= 0)) throw new ArgumentException("std values must be positive");
    }

    /// <summary>Floats per image: C x H x W.</summary>
    public int Plane => _options.Channels * _options.Height * _options.Width;

    /// <summary>
    /// Writes the image at <paramref name="path"/>, augmented from the stream of (seed, epoch, position) and
    /// normalised, into <paramref name="dst"/> at <paramref name="offset"/>.
    /// </summary>
    public void Prepare(string path, int epoch, int position, float[] dst, int offset)
    {
        int c = _options.Channels, h = _options.Height, w = _options.Width;
        var image = _cache is null ? Load(path) : _cache.GetOrDecode(path, _options, Load);
        if (_options.Augment != AugmentOptions.None)
            image = Augmentation.Apply(image, c, h, w, _options.Augment, new SeededRandom(EpochRandom.Key(_options.Seed, epoch, position)));
        Normalise(image, c, h * w, _options, dst, offset);
    }

    /// <summary>(x - mean) / std per channel, written into <paramref name="dst"/> at <paramref name="offset"/>.</summary>
    public static void Normalise(float[] image, int channels, int plane, LoaderOptions options, float[] dst, int offset)
    {
        for (int ch = 0; ch < channels; ch++)
        {
            float mean = options.Mean[ch], inv = 1 / options.Std[ch];
            int o = offset + ch * plane;
            for (int k = 0; k < plane; k++) dst[o + k] = (image[ch * plane + k] - mean) * inv;
        }
    }

    /// <summary>One image as CxHxW floats in [0, 1] at the model's size (resized if the file's size differs).</summary>
    public float[] Load(string path)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var hwc = Read(path, _options.Gray);
        if (hwc.Shape[0] != _options.Height || hwc.Shape[1] != _options.Width)
        {
            double aspect = (double)hwc.Shape[1] / hwc.Shape[0], target = (double)_options.Width / _options.Height;
            if (_options.MaxAspectChange is { } max && Math.Abs(aspect / target - 1) > max)
                throw new TorchException($"image '{path}' is {hwc.Shape[1]}x{hwc.Shape[0]} " +
                    $"but the model takes {_options.Width}x{_options.Height} " +
                    "(another shape, not just another size); straighten and crop raw photos with `insitu data standardize` first");
            hwc = ImageIO.Resize(hwc.Contiguous(), _options.Height, _options.Width, interpolation: 3);
            if (hwc.Dim == 2) hwc = hwc.Unsqueeze(2);
        }
        return ImageIO.ToChw(hwc, path).ToFloatArray();
    }

    /// <summary>
    /// The file's pixels as HxWxC: uint8 for 8-bit files, otherwise float32 in [0, 1] scaled by the file's real type
    /// (16-bit / 65535; float as it is, or by its own maximum: <see cref="ImageIO.ToUnit"/>); within the caller's dispose scope.
    /// </summary>
    public static Tensor Read(string path, bool gray)
    {
        var hwc = ImageIO.Read(path, gray ? ImageMode.Gray : ImageMode.Color);
        if (hwc.Dim == 2) hwc = hwc.Unsqueeze(2);
        if (hwc.DType != DType.UInt8) hwc = ImageIO.ToUnit(hwc, path);
        return hwc;
    }
}
