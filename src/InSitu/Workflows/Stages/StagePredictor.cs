using System.Collections.Concurrent;
using System.Globalization;
using InSitu.Data;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>`stage predict`: stages of a folder or manifest of any size, streamed batch by batch into a CSV.</summary>
public static class StagePredictor
{
    /// <param name="Written">Images predicted (rows of the CSV).</param>
    /// <param name="Images">Images found, good and bad.</param>
    /// <param name="Failures">Each image left out, with the reason, in input order.</param>
    /// <param name="FailuresPath">The failures CSV beside the output (OUT.failures.csv).</param>
    /// <param name="Engine">The inference engine that ran (<see cref="InferenceRunner.Description"/>); empty without usable images.</param>
    public sealed record Result(int Written, int Images, IReadOnlyList<(string path, string reason)> Failures, string FailuresPath,
        string Engine = "");

    /// <summary>
    /// Writes path, stage, range and one probability per stage for every usable image. A bad image (dangling link,
    /// empty, truncated, not an image, another shape) is left out of its batch, not the batch out of the CSV, and
    /// listed in OUT.failures.csv; when no image is usable nothing but the failures list is written and an error raised.
    /// </summary>
    public static Result PredictToCsv(string modelPath, string input, string outCsv) =>
        PredictToCsv(modelPath, input, outCsv, InferenceSettings.Default);

    public static Result PredictToCsv(string modelPath, string input, string outCsv, InferenceSettings settings)
    {
        var (net, info) = StageModelInfo.Load(modelPath);
        using var _ = net;
        var (m, skipped) = ImageInputs.Collect(new[] { input });
        int total = m.Rows.Count + skipped.Count;
        if (total == 0) throw new InvalidDataException($"no images in '{input}'");
        var bad = new ConcurrentBag<(int row, string reason)>();
        var failuresPath = FailureReport.PathBeside(outCsv);
        List<(string, string)> Failures() =>
            // DistinctBy: int8 calibration reads the first batches twice
            skipped.Concat(bad.DistinctBy(b => b.row).OrderBy(b => b.row).Select(b => (m.FullPath(m.Rows[b.row]), b.reason))).ToList();
        int written = 0;
        string engine = "";
        if (m.Rows.Count > 0)
        {
            var loader = new ImageBatchLoader(m, info.Config.Loader()) { BadImage = (row, e) => bad.Add((row, e.Message)) };
            net.Eval();
            net.FuseForInference();
            using var runner = InferenceRunner.Create(net, settings);
            engine = runner.Description;
            Inference.Calibrate(runner, loader, settings.CalibrationBatches);
            bool complete = false;
            try
            {
                // the CSV appears whole or not at all; memory stays bounded by the loader's prefetch, whatever the input size
                AtomicFile.Write(outCsv, tmp =>
                {
                    using (var writer = new StreamWriter(tmp))
                    {
                        writer.WriteLine("path,stage,range," + string.Join(",", PreciseStage.All.Select(s => $"p{s}")));
                        foreach (var batch in loader.Epoch(0))
                            using (batch)
                            using (TorchRuntime.NewDisposeScope())
                            {
                                if (batch.Rows.Length == 0) continue; // every image of this batch was bad
                                var p = runner.Forward(batch.Images).Softmax(1).ToFloatArray();
                                for (int i = 0; i < batch.Rows.Length; i++)
                                {
                                    var probs = p.AsSpan(i * PreciseStage.Count, PreciseStage.Count).ToArray();
                                    var best = PreciseStage.FromClass(Array.IndexOf(probs, probs.Max()));
                                    writer.WriteLine(Csv.Line(new[] { m.FullPath(m.Rows[batch.Rows[i]]), best.ToString(),
                                            best.Range.ToString(CultureInfo.InvariantCulture) }
                                        .Concat(probs.Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))));
                                    written++;
                                }
                            }
                    }
                    complete = true;
                    if (written == 0) throw FailureReport.NothingUsable($"in '{input}'", total, Failures(), failuresPath);
                });
            }
            finally
            {
                if (complete) FailureReport.Write(failuresPath, Failures());
            }
        }
        else
        {
            FailureReport.Write(failuresPath, skipped);
            throw FailureReport.NothingUsable($"in '{input}'", total, skipped, failuresPath);
        }
        return new Result(written, total, Failures(), failuresPath, engine);
    }
}
