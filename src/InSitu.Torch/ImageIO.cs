namespace InSitu.Torch;

public enum ImageMode
{
    Unchanged = 0,
    Gray = 1,
    Color = 2,
}

/// <summary>
/// Image files through OpenCV: PNG, JPEG, BMP, TIFF (8- and 16-bit, gray and colour). Pixels are HxWxC tensors in
/// RGB(A) order: uint8 for 8-bit files, int32 holding 0..65535 for 16-bit ones.
/// </summary>
public static class ImageIO
{
    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff" };

    public static bool IsImageFile(string path) => Known.Contains(Path.GetExtension(path));

    public static unsafe Tensor Read(string path, ImageMode mode = ImageMode.Unchanged)
    {
        if (!File.Exists(path)) throw new TorchException($"image '{path}' does not exist");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new TorchException($"image '{path}' is empty (0 bytes)");
        CheckComplete(path, bytes);
        fixed (byte* p = bytes)
        {
            if (Native.ist_image_decode(p, bytes.Length, (int)mode, out var t) != 0)
                throw new TorchException($"image '{path}' could not be decoded: it is corrupt, truncated or not an image " +
                    $"(PNG, JPEG, BMP and TIFF are supported). {Native.LastError()}");
            return new Tensor(t);
        }
    }

    /// <summary>HxWx3 uint8 RGB whatever the file holds: grey is expanded, 16-bit scaled to 8 bits (for colour analysis and display).</summary>
    public static Tensor ReadRgb8(string path)
    {
        var img = Read(path, ImageMode.Color);
        if (img.DType == DType.UInt8) return img;
        using (img) return img.Div(257.0).Cast(DType.UInt8);
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
        // the temporary name keeps the extension, which tells OpenCV the format
        var tmp = Path.Combine(dir, "." + Path.GetFileNameWithoutExtension(path) + ".tmp" + Path.GetExtension(path));
        if (Native.ist_image_write(tmp, image.Handle) != 0)
        {
            var error = Native.LastError();
            File.Delete(tmp);
            throw new TorchException($"cannot write image '{path}': {error}");
        }
        GC.KeepAlive(image);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Resizes HxWxC uint8/float32 pixels (interpolation: 0 nearest, 1 linear, 2 cubic, 3 area).</summary>
    public static Tensor Resize(Tensor image, int height, int width, int interpolation = 1)
    {
        Native.Check(Native.ist_image_resize(image.Handle, height, width, interpolation, out var t));
        GC.KeepAlive(image);
        return new Tensor(t);
    }

    /// <summary>HxWxC pixels to a float32 CxHxW tensor in [0, 1] (16-bit images scaled by 65535).</summary>
    public static Tensor ToChw(Tensor hwc)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        double scale = hwc.DType == DType.UInt8 ? 255.0 : hwc.DType == DType.Int32 ? 65535.0 : 1.0;
        var src = hwc.Dim == 2 ? hwc.Unsqueeze(2) : hwc;
        var r = src.Permute(2, 0, 1).Cast(DType.Float32).Div(scale).Contiguous();
        return scope.MoveToOuter(r);
    }
}
