using InSitu.Data;
using InSitu.Imaging;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Standardises every image of a folder or manifest into OUT/images/ and writes OUT/manifest.csv (labels carried
/// over) and OUT/failures.csv (each image that was refused or unreadable, with the reason). Nothing is written for a
/// refused image; the run never stops halfway on a bad file. A rerun into the same folder first deletes the old
/// manifest.csv and failures.csv, and writes the new ones only at the end: an interrupted rerun leaves no manifest
/// describing images it has partly overwritten.
/// </summary>
public static class StandardizeJob
{
    public sealed record Result(int Images, int Standardized, IReadOnlyList<(string path, string reason)> Failures, string ManifestPath);

    public static Result Run(string input, string outDir, EmbryoStandardizer standardizer, Action<int, int>? progress = null)
    {
        var (source, skipped) = ImageInputs.Collect(new[] { input });
        var images = Path.Combine(outDir, "images");
        Directory.CreateDirectory(images);
        var manifestPath = Path.Combine(outDir, "manifest.csv");
        var failuresPath = Path.Combine(outDir, "failures.csv");
        File.Delete(manifestPath);
        File.Delete(failuresPath);
        var outputs = new ManifestRow?[source.Rows.Count];
        var failures = new (string, string)?[source.Rows.Count];
        int done = 0;
        Parallel.For(0, source.Rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var row = source.Rows[i];
            var path = source.FullPath(row);
            try
            {
                byte[] pixels;
                int w, h, c;
                using (var img = ImageIO.ReadRgb8(path))
                {
                    using var bytes = img.Contiguous();
                    (h, w, c) = ((int)bytes.Shape[0], (int)bytes.Shape[1], bytes.Dim == 3 ? (int)bytes.Shape[2] : 1);
                    pixels = bytes.ToArray<byte>();
                }
                var result = standardizer.Run(pixels, w, h, c);
                if (!result.Ok)
                {
                    failures[i] = (path, result.Failure!);
                    return;
                }
                var name = $"{i:D6}_{Path.GetFileNameWithoutExtension(path)}.png";
                using var t = Tensor.FromArray(result.Pixels!, result.Height, result.Width, result.Channels);
                ImageIO.Write(Path.Combine(images, name), t);
                outputs[i] = row with { Path = Path.Combine("images", name) };
            }
            catch (Exception e) when (e is TorchException or IOException or UnauthorizedAccessException
                or InvalidDataException or ArgumentException)
            {
                failures[i] = (path, e.Message);
            }
            finally
            {
                progress?.Invoke(Interlocked.Increment(ref done), source.Rows.Count);
            }
        });
        var manifest = new Manifest(outputs.Where(r => r is not null).Select(r => r!), outDir);
        manifest.Save(manifestPath);
        var failed = skipped.Concat(failures.Where(f => f is not null).Select(f => f!.Value)).ToList();
        FailureReport.Write(failuresPath, failed);
        return new Result(source.Rows.Count + skipped.Count, manifest.Rows.Count, failed, manifestPath);
    }
}
