using InSitu.Data;
using InSitu.Synthesis;

namespace InSitu.Stages;

/// <summary>
/// The demo's dataset: BDGP-like simulated images in the paper's proportions, scaled down. A fine set of
/// <see cref="PerStage"/> precisely staged images per stage 4..17 and a coarse set <see cref="CoarseFactor"/> times
/// larger whose precise stage is hidden (range only), ranges in the paper's proportions.
/// </summary>
public sealed record StageDemo(int PerStage = 40, int CoarseFactor = 10, int Seed = 1)
{
    public Manifest Simulate(BdgpLabelTables tables, string folder, Action<int>? progress = null)
    {
        int fine = PerStage * 14, coarse = fine * CoarseFactor;
        var options = new SynthOptions(coarse, Seed);
        var coarsePlan = DatasetSimulator.Plan(tables, options);
        // the fine images come from a separate draw, so no image is in both sets
        var pool = DatasetSimulator.Plan(tables, options with { Images = Math.Max(fine * 4, 3000), Seed = Seed + 1000 });
        var finePlan = Enumerable.Range(4, 14).SelectMany(s => pool.Where(p => p.Stage == s).Take(PerStage)).ToList();
        var missing = Enumerable.Range(4, 14).Where(s => finePlan.Count(p => p.Stage == s) < PerStage).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"the simulator drew too few images of stage(s) {string.Join(", ", missing)}");
        var all = finePlan.Select(p => (p, fine: true)).Concat(coarsePlan.Select(p => (p, fine: false)))
            .Select((x, i) => (image: x.p with { Index = i }, x.fine)).ToList();
        var images = Path.Combine(folder, "images");
        Directory.CreateDirectory(images);
        int done = 0;
        Parallel.ForEach(all, item =>
        {
            var path = Path.Combine(images, $"{item.image.Index:D6}.png");
            if (!File.Exists(path))
            {
                var px = DatasetSimulator.RenderStandard(item.image, options);
                using var t = Torch.Tensor.FromArray(px, options.Height, options.Width, 3);
                var tmp = Path.Combine(images, $".{item.image.Index:D6}.tmp.png");
                Torch.ImageIO.Write(tmp, t);
                File.Move(tmp, path, overwrite: true);
            }
            progress?.Invoke(Interlocked.Increment(ref done));
        });
        var rows = all.Select(x => new ManifestRow($"images/{x.image.Index:D6}.png", Stage: x.fine ? x.image.Stage : null, Range: x.image.Bag.Range,
            Gene: x.image.Bag.Gene, View: "lateral", Terms: x.image.Bag.Terms, Bag: $"{x.image.Bag.Gene}_{x.image.Bag.Range}")).ToList();
        var manifest = new Manifest(rows, folder);
        manifest.Save(Path.Combine(folder, "manifest.csv"));
        return manifest;
    }

    public int Images => PerStage * 14 * (1 + CoarseFactor);
}
