
namespace InSitu.Torch;

public enum ImageMode
{
    Unchanged = 0,
    Gray = 1,
    Color = 2,
}

/// <summary>
/// Image files through OpenCV: PNG, JPEG, BMP, TIFF (8- and 16-bit, 32-bit float; gray and colour). Pixels are HxWxC
/// tensors in RGB(A) order: uint8 for 8-bit files, int32 holding 0..65535 for 16-bit ones, float32 for float files.
/// <see cref="ToUnit"/> turns any of them into [0, 1] by the file's real type.
/// </summary>
public static class ImageIO
{
    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff" };

    public static bool IsImageFile(string path) => Known.Contains(Path.GetExtension(path));

    public static unsafe Tensor Read(string path, ImageMode mode = ImageMode.Unchanged)
    {
        if (!File.Exists(path)) throw new TorchException($"image '{path}' does not exist");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a dangling link, no read permission, a folder named like an image: one bad file, reported as such
            throw new TorchException($"image '{path}' cannot be read: {e.Message}");
        }
        if (bytes.Length == 0) throw new TorchException($"image '{path}' is empty (0 bytes)");
        CheckComplete(path, bytes);
        fixed (byte* p = bytes)
        {
            if (Native.ist_image_decode(p, bytes.Length, (int)mode, out var t) == 0) return new Tensor(t);
            var error = Native.LastError();
            // OpenCV cannot convert a grey float TIFF to colour while decoding: decode it as it is and expand here
            if (mode == ImageMode.Color && Native.ist_image_decode(p, bytes.Length, (int)ImageMode.Unchanged, out var u) == 0)
            {
                using var scope = TorchRuntime.NewDisposeScope();
                var raw = new Tensor(u);
                var hwc = raw.Dim == 2 ? raw.Unsqueeze(2) : raw;
                return scope.MoveToOuter(hwc.Shape[2] switch
                {
                    1 => hwc.Repeat(1, 1, 3).Contiguous(),
                    >= 3 => hwc.Narrow(2, 0, 3).Contiguous(),
                    _ => throw new TorchException($"image '{path}' has {hwc.Shape[2]} channels; grey, RGB or RGBA images are supported"),
                });
            }
            throw new TorchException($"image '{path}' could not be decoded: it is corrupt, truncated or not an image " +
                $"(PNG, JPEG, BMP and TIFF are supported). {error}");
        }
    }

    /// <summary>
    /// HxWx3 uint8 RGB whatever the file holds: grey is expanded, 16-bit and float images scaled to 8 bits as
    /// <see cref="ToUnit"/> scales them (for colour analysis and display).
    /// </summary>
    public static Tensor ReadRgb8(string path)
    {
        var img = Read(path, ImageMode.Color);
        if (img.DType == DType.UInt8) return img;
        using var scope = TorchRuntime.NewDisposeScope();
        using (img)
            return scope.MoveToOuter(ToUnit(img, path).Mul(255.0).Round().Clamp(0, 255).Cast(DType.UInt8));
    }

    /// <summary>
    /// Pixels as float32 in [0, 1] by the image's real type: uint8 / 255, 16-bit (int32) / 65535; float images are used
    /// as they are when within [0, 1], otherwise divided by their own maximum (a float image of counts or of 0..255
    /// keeps its contrast, not its absolute level). A float image with negative, NaN or infinite values has no
    /// meaning as intensities and is refused naming <paramref name="path"/>. Within the caller's dispose scope.
    /// </summary>
    public static Tensor ToUnit(Tensor image, string? path = null)
    {
        if (image.DType == DType.UInt8) return image.Cast(DType.Float32).Div(255.0);
        if (image.DType == DType.Int32) return image.Cast(DType.Float32).Div(65535.0);
        var f = image.DType == DType.Float32 ? image : image.Cast(DType.Float32);
        var values = f.ToFloatArray();
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
                throw new TorchException($"image '{path ?? "(in memory)"}' holds NaN or infinite float pixels; " +
                    "it is not an intensity image");
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min < 0)
            throw new TorchException($"image '{path ?? "(in memory)"}' holds negative float pixels (down to {min:G4}); " +
                "InSitu reads float images as intensities in [0, 1] (or 0..max), so rescale it first");
        return max > 1 ? f.Div(max) : f;
    }

    /// <summary>
    /// OpenCV silently pads a truncated JPEG with grey; a JPEG must end with its EOI marker (FF D9), and a PNG with
    /// its IEND chunk, or the file is reported instead of yielding wrong pixels.
    /// </summary>
    private static void CheckComplete(string path, byte[] b)
    {
        bool jpeg = b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
        if (jpeg)
        {
            int end = b.Length - 1;
            while (end > 0 && b[end] == 0) end--; // some writers pad after EOI
            if (!(end >= 1 && b[end - 1] == 0xFF && b[end] == 0xD9))
                throw new TorchException($"image '{path}' is a truncated JPEG (no end-of-image marker); re-export or re-download it");
        }
        bool png = b.Length >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47;
        if (png)
        {
            var tail = System.Text.Encoding.ASCII.GetString(b, Math.Max(0, b.Length - 12), Math.Min(12, b.Length));
            if (!tail.Contains("IEND"))
                throw new TorchException($"image '{path}' is a truncated PNG (no IEND chunk); re-export or re-download it");
        }
    }

    /// <summary>
    /// Writes HxW or HxWxC (1, 3 or 4 channels, RGB order) uint8, or int32 as 16-bit; format from the extension.
    /// Atomic: the image is written beside the target and moved into place, so an interrupted run never leaves a
    /// half-written file under the final name.
    /// </summary>
    public static void Write(string path, Tensor image)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new TorchException($"cannot write image '{path}': folder '{dir}' does not exist");
        if (!IsImageFile(path)) throw new TorchException($"cannot write image '{path}': use a .png, .jpg, .bmp or .tif name");
        // an encoder that runs out of space mid-file prints its own complaint on stderr (libpng does), so a disk
        // too full for the uncompressed image is refused before any encoder runs
        long needed = image.NumEl * (image.DType == DType.UInt8 ? 1 : 2) + (64 << 10);
        if (FreeSpace(dir) is { } free && free < needed)
            throw new TorchException(
                $"cannot write image '{path}': no space left on the device ({free} bytes free, up to {needed} needed)");
        // the temporary name keeps the extension, which tells OpenCV the format; a failure leaves no temporary file
        AtomicFile.Write(path, tmp =>
        {
            if (Native.ist_image_write(tmp, image.Handle) != 0)
                throw new TorchException($"cannot write image '{path}': {Native.LastError()}{SpaceLeft(dir)}");
            GC.KeepAlive(image);
        });
    }

    /// <summary>
    /// OpenCV's writers report no reason; when the folder's disk is (nearly) full, that is the likely one, and
    /// the message says so.
    /// </summary>
    private static string SpaceLeft(string dir) =>
        FreeSpace(dir) is { } free && free < 1 << 20 ? $" (no space left on the device: {free} bytes free)" : "";

    /// <summary>Bytes free on the disk holding <paramref name="dir"/>, or null when the system will not say.</summary>
    private static long? FreeSpace(string dir)
    {
        try
        {
            return new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Resizes HxWxC uint8/float32 pixels (interpolation: 0 nearest, 1 linear, 2 cubic, 3 area).</summary>
    public static Tensor Resize(Tensor image, int height, int width, int interpolation = 1)
    {
        Native.Check(Native.ist_image_resize(image.Handle, height, width, interpolation, out var t));
        GC.KeepAlive(image);
        return new Tensor(t);
    }

    /// <summary>HxWxC pixels to a float32 CxHxW tensor in [0, 1], scaled by their type as <see cref="ToUnit"/> does.</summary>
    public static Tensor ToChw(Tensor hwc, string? path = null)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var src = hwc.Dim == 2 ? hwc.Unsqueeze(2) : hwc;
        var r = ToUnit(src, path).Permute(2, 0, 1).Contiguous();
        return scope.MoveToOuter(r);
    }
}
