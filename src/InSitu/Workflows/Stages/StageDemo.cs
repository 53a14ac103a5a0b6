using InSitu.Data;
using InSitu.Synthesis;

namespace InSitu.Workflows.Stages;

/// <summary>
/// The demo's dataset: BDGP-like simulated images in the paper's proportions, scaled down. A fine set of
/// <see cref="PerStage"/> precisely staged images per stage 4..17 and a coarse set <see cref="CoarseFactor"/> times
/// larger whose precise stage is hidden (range only), ranges in the paper's proportions.
/// </summary>
public sealed record StageDemo(int PerStage = 40, int CoarseFactor = 10, int Seed = 1)
{
    public Manifest Simulate(BdgpLabelTables tables, string folder, Action<int>? progress = null)
    {
        // an interrupted earlier run may have left a manifest that no longer matches the images: it goes first, and
        // the new one is written only once every image exists
        if (File.Exists(Path.Combine(folder, "manifest.csv"))) File.Delete(Path.Combine(folder, "manifest.csv"));
        int fine = PerStage * PreciseStage.Count, coarse = fine * CoarseFactor;
        var options = new SynthOptions(coarse, Seed);
        var coarsePlan = DatasetSimulator.Plan(tables, options);
        // the fine images come from a separate draw, so no image is in both sets
        var pool = DatasetSimulator.Plan(tables, options with { Images = Math.Max(fine * 4, 3000), Seed = Seed + 1000 });
        var finePlan = PreciseStage.All.SelectMany(s => pool.Where(p => p.Stage == s.Value).Take(PerStage)).ToList();
        var missing = PreciseStage.All.Where(s => finePlan.Count(p => p.Stage == s.Value) < PerStage).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"the simulator drew too few images of stage(s) {string.Join(", ", missing)}");
        var all = finePlan.Select(p => (p, fine: true)).Concat(coarsePlan.Select(p => (p, fine: false)))
            .Select((x, i) => (image: x.p with { Index = i }, x.fine)).ToList();
        var ext = DatasetSimulator.WriteImages(all.Select(x => x.image).ToList(), options, Path.Combine(folder, "images"),
            skipExisting: true, progress);
        var rows = all.Select(x => DatasetSimulator.Row(x.image, ext, withStage: x.fine)).ToList();
        var manifest = new Manifest(rows, folder);
        manifest.Save(Path.Combine(folder, "manifest.csv"));
        return manifest;
    }

    public int Images => PerStage * PreciseStage.Count * (1 + CoarseFactor);
}
