using System.Globalization;
using InSitu.Common;
using InSitu.Data;
using InSitu.Torch;

namespace InSitu.Workflows.Stages;

/// <summary>`stage predict`: stages of a folder or manifest of any size, streamed batch by batch into a CSV.</summary>
public static class StagePredictor
{
    /// <summary>Writes path, stage, range and one probability per stage for every image; returns how many were written.</summary>
    public static int PredictToCsv(string modelPath, string input, string outCsv)
    {
        var (net, info) = StageModelInfo.Load(modelPath);
        using var _ = net;
        var m = ImageInputs.Load(new[] { input });
        if (m.Rows.Count == 0) throw new InvalidDataException($"no images in '{input}'");
        var loader = new ImageBatchLoader(m, info.Config.Loader());
        int written = 0;
        net.Eval();
        net.FuseForInference();
        // the CSV appears whole or not at all; memory stays bounded by the loader's prefetch, whatever the input size
        AtomicFile.Write(outCsv, tmp =>
        {
            using var writer = new StreamWriter(tmp);
            using var inference = Autograd.InferenceMode();
            writer.WriteLine("path,stage,range," + string.Join(",", PreciseStage.All.Select(s => $"p{s}")));
            foreach (var batch in loader.Epoch(0))
                using (batch)
                using (TorchRuntime.NewDisposeScope())
                {
                    var p = net.Forward(batch.Images).Softmax(1).ToFloatArray();
                    for (int i = 0; i < batch.Rows.Length; i++)
                    {
                        var probs = p.AsSpan(i * PreciseStage.Count, PreciseStage.Count).ToArray();
                        var best = PreciseStage.FromClass(Array.IndexOf(probs, probs.Max()));
                        writer.WriteLine(Csv.Line(new[] { m.FullPath(m.Rows[batch.Rows[i]]), best.ToString(), best.Range.ToString(CultureInfo.InvariantCulture) }
                            .Concat(probs.Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))));
                        written++;
                    }
                }
        });
        return written;
    }
}
