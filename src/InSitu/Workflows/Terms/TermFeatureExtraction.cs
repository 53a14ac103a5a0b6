using System.Security.Cryptography;
using System.Text;
using InSitu.Common;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>Progress of a long step: a phase name, how far it is, and a detail (e.g. the loss of a training epoch).</summary>
public delegate void TermsProgress(string phase, long done, long total, string detail);

/// <summary>
/// Streams images through a featurizer into feature files, one per feature set, batch by batch (memory stays bounded by
/// the loader's prefetch), with progress. Each file records what it holds and which images, in order, so a later run
/// reuses it only for the same images.
/// </summary>
public static class TermFeatureExtraction
{
    /// <summary>A fingerprint of the images of a feature file: their full paths, in order.</summary>
    public static string RowsKey(Manifest manifest, IReadOnlyList<int> rows)
    {
        var text = string.Join("\n", rows.Select(i => manifest.FullPath(manifest.Rows[i])));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>The feature file at <paramref name="path"/> when it holds these rows (by fingerprint); otherwise null.</summary>
    public static FeatureFile? Reusable(string path, string rowsKey)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var file = FeatureFile.Open(path);
            return file.Metadata.Contains($"\"rows_key\":\"{rowsKey}\"", StringComparison.Ordinal) ? file : null;
        }
        catch (InvalidDataException)
        {
            return null; // torn or foreign: extracted again
        }
    }

    /// <summary>Writes the features of <paramref name="rows"/> (in that order), one file per set at <paramref
    /// name="fileOf"/>(set).</summary>
    /// <param name="written">When given, an image that cannot be read is skipped (reported to the loader's
    /// <paramref name="badImage"/>) and the rows actually written are added here, in file order.</param>
    public static Dictionary<string, FeatureFile> Run(Manifest manifest, IReadOnlyList<int> rows, ITermFeaturizer featurizer,
        Func<string, string> fileOf, object description, DecodedImageCache? cache, TermsProgress? progress, string phase,
        List<int>? written = null, Action<int, Exception>? badImage = null)
    {
        var key = RowsKey(manifest, rows);
        var loader = new ImageBatchLoader(manifest, featurizer.Loader, rows: rows, cache: cache) { BadImage = badImage };
        var writers = new Dictionary<string, FeatureFile.Writer>();
        try
        {
            long done = 0;
            foreach (var batch in loader.Epoch(0))
                using (batch)
                using (TorchRuntime.NewDisposeScope())
                {
                    written?.AddRange(batch.Rows);
                    if (batch.Rows.Length == 0) continue;
                    foreach (var (set, features) in featurizer.Features(batch.Images))
                    {
                        if (!writers.TryGetValue(set, out var writer))
                        {
                            var metadata = JsonSettings.Serialize(new
                            {
                                set,
                                rows = rows.Count,
                                rows_key = key,
                                columns = features.Size(1),
                                description
                            });
                            // compact JSON with the key findable as text
                            metadata = System.Text.Json.Nodes.JsonNode.Parse(metadata)!.ToJsonString();
                            writers[set] = writer = FeatureFile.Create(fileOf(set), (int)features.Size(1), metadata);
                        }
                        writer.Append(features);
                    }
                    done += batch.Rows.Length;
                    progress?.Invoke(phase, done, rows.Count, "");
                }
            if (writers.Count == 0) throw new InvalidDataException("no image could be read, so no features were written");
            return writers.ToDictionary(w => w.Key, w => w.Value.Complete());
        }
        finally
        {
            foreach (var w in writers.Values) w.Dispose();
        }
    }
}
