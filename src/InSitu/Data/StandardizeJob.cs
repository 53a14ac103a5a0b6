using InSitu.Data;
using InSitu.Imaging;
using InSitu.Torch;

namespace InSitu.Data;

/// <summary>
/// Standardises every image of a folder or manifest into OUT/images/ and writes OUT/manifest.csv (labels carried
/// over) and OUT/failures.csv (each image that was refused or unreadable, with the reason). Nothing is written for a
/// refused image; the run never stops halfway on a bad file. A rerun into the same folder first deletes the old
/// manifest.csv and failures.csv, and writes the new ones only at the end: an interrupted rerun leaves no manifest
/// describing images it has partly overwritten. With a debug folder, each photo in which anything was found also gets
/// NNNNNN_NAME.png there (<see cref="StandardizeOverlay"/>: what stood out, the bodies, the main embryo's outline), and
/// photos.csv lists every photo's outcome, angle, axis ratio and area share.
/// </summary>
public static class StandardizeJob
{
    private static string Invariant(float v) => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    public sealed record Result(int Images, int Standardized, IReadOnlyList<(string path, string reason)> Failures, string ManifestPath);

    public static Result Run(string input, string outDir, EmbryoStandardizer standardizer, Action<int, int>? progress = null,
        string? debugDir = null)
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
        var outcomes = new string?[source.Rows.Count];
        if (debugDir is not null) Directory.CreateDirectory(debugDir);
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
                var name = $"{i:D6}_{Path.GetFileNameWithoutExtension(path)}.png";
                if (debugDir is not null)
                {
                    if (result.Masks is not null) StandardizeOverlay.Draw(pixels, w, h, c, result.Masks).Save(Path.Combine(debugDir, name));
                    outcomes[i] = Csv.Line(new[]
                    {
                        path, result.Ok ? "standardized" : result.Failure!,
                        Invariant(result.AngleDegrees), Invariant(result.Elongation), Invariant(result.AreaShare),
                        result.Masks is null ? "" : name,
                    });
                }
                if (!result.Ok)
                {
                    failures[i] = (path, result.Failure!);
                    return;
                }
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
        if (debugDir is not null)
            Torch.AtomicFile.WriteText(Path.Combine(debugDir, "photos.csv"), "path,outcome,angle_degrees,axis_ratio,area_share,overlay\n" +
                string.Concat(outcomes.Where(o => o is not null).Select(o => o + "\n")));
        return new Result(source.Rows.Count + skipped.Count, manifest.Rows.Count, failed, manifestPath);
    }
}
