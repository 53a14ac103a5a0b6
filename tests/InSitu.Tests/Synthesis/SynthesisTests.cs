using InSitu.Common;
using InSitu.Data;
using InSitu.Synthesis;

namespace InSitu.Tests.Synthesis;

public class SynthesisTests : TempFolderTest
{
    private static readonly Lazy<BdgpLabelTables> Tables = new(() =>
        BdgpLabelTables.Load(Path.Combine(TestPaths.SharedData, "bdgp-annotations")));

    [Fact]
    public void LabelTablesHoldEveryBagOfTheRealData()
    {
        var t = Tables.Value;
        Assert.Equal(46757, t.Bags.Sum(b => b.Images)); // every image name of standard_images.csv
        Assert.Equal(11569, t.Bags.Count);
        Assert.All(t.Bags, b => Assert.InRange(b.Range, 1, 6));
        Assert.Contains(t.Bags, b => b.Gene == "AT12172" && b.Range == 2
            && b.Terms.SequenceEqual(new[] { "cellular blastoderm", "maternal" }));
    }

    /// <summary>
    /// Stated tolerance: for every term that the real tables give to at least 5% of a range's bags, the share of
    /// simulated bags carrying it is within 4 binomial standard errors (sqrt(p(1-p)/bags)) of the real share, and
    /// within 0.03 at the paper's size; images per range follow the paper's proportions within 0.5%.
    /// </summary>
    [Theory]
    [InlineData(5000, 3)]
    [InlineData(36908, 4)]
    public void SimulatedLabelStatisticsFollowTheBdgpTables(int images, int seed)
    {
        var plan = DatasetSimulator.Plan(Tables.Value, new SynthOptions(images, Seed: seed));
        Assert.Equal(images, plan.Count);
        int paperTotal = SynthOptions.PaperRangeCounts.Sum();
        for (int range = 1; range <= 6; range++)
        {
            double share = plan.Count(p => p.Bag.Range == range) / (double)plan.Count;
            Assert.InRange(share, SynthOptions.PaperRangeCounts[range - 1] / (double)paperTotal - 0.005,
                SynthOptions.PaperRangeCounts[range - 1] / (double)paperTotal + 0.005);

            var realBags = Tables.Value.Bags.Where(b => b.Range == range).ToList();
            var simBags = plan.Where(p => p.Bag.Range == range).Select(p => p.Bag).Distinct().ToList();
            Assert.True(simBags.Count >= 50, $"range {range}: only {simBags.Count} bags");
            foreach (var term in realBags.SelectMany(b => b.Terms).Distinct())
            {
                double real = realBags.Count(b => b.Terms.Contains(term)) / (double)realBags.Count;
                if (real < 0.05) continue;
                double sim = simBags.Count(b => b.Terms.Contains(term)) / (double)simBags.Count;
                double tolerance = images >= 36908 ? 0.03 : 4 * Math.Sqrt(real * (1 - real) / simBags.Count);
                Assert.True(Math.Abs(sim - real) <= tolerance,
                    $"range {range}, '{term}': simulated {sim:F3} vs real {real:F3} (tolerance {tolerance:F3})");
            }
        }
        // every image's precise stage lies in its bag's range, and all stages 1..17 occur
        Assert.All(plan, p => Assert.Equal(p.Bag.Range, StageRanges.Of(p.Stage)));
        Assert.Equal(Enumerable.Range(1, 17), plan.Select(p => p.Stage).Distinct().Order());
    }

    [Fact]
    public void SameSeedSameImagesOtherSeedOthers()
    {
        var options = new SynthOptions(20, Seed: 5);
        var a = DatasetSimulator.Plan(Tables.Value, options);
        var b = DatasetSimulator.Plan(Tables.Value, options);
        var c = DatasetSimulator.Plan(Tables.Value, options with { Seed = 6 });
        Assert.Equal(a, b);
        Assert.Equal(DatasetSimulator.RenderStandard(a[0], options), DatasetSimulator.RenderStandard(b[0], options));
        Assert.NotEqual(a.Select(p => p.Time), c.Select(p => p.Time));
    }

    [Fact]
    public void ImagesLookLikeBdgpPhotos()
    {
        var options = new SynthOptions(40, Seed: 2);
        foreach (var image in DatasetSimulator.Plan(Tables.Value, options).Take(10))
        {
            var px = DatasetSimulator.RenderStandard(image, options);
            Assert.Equal(128 * 320 * 3, px.Length);
            double Gray(int x, int y) => (px[(y * 320 + x) * 3] + px[(y * 320 + x) * 3 + 1] + px[(y * 320 + x) * 3 + 2]) / 3.0;
            double corner = (Gray(2, 2) + Gray(317, 2) + Gray(2, 125) + Gray(317, 125)) / 4;
            Assert.True(corner > 180, $"background {corner:F0} is not light");
            double centre = 0;
            for (int y = 54; y < 74; y++)
                for (int x = 140; x < 180; x++) centre += Gray(x, y) / 800;
            Assert.True(centre < corner - 15, $"embryo centre {centre:F0} is not darker than the background {corner:F0}");
        }
    }

    private static float[] Unstained(float t, int seed = 1)
    {
        var model = new EmbryoModel(t, Array.Empty<TermSite>(), new SeededRandom((ulong)seed), developmentalJitter: 0);
        var d = new float[64 * 160];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 160; x++)
                d[y * 160 + x] = model.Evaluate(x / 80f - 1 + 1 / 160f, 1 - y / 32f - 1 / 64f, 0.03f).density;
        return d;
    }

    private static double Difference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();

    [Fact]
    public void MorphologyChangesWithTimeAndNeighbouringStagesDifferSubtly()
    {
        // the same embryo a tenth of a stage apart differs far less than a stage apart, which differs less than five stages apart
        foreach (var t in new[] { 5.5f, 8.5f, 11.5f, 15.5f })
        {
            double tiny = Difference(Unstained(t), Unstained(t + 0.1f));
            double stage = Difference(Unstained(t), Unstained(t + 1f));
            Assert.True(stage > 2 * tiny, $"t={t}: one stage {stage:F4} vs a tenth {tiny:F4}");
        }
        Assert.True(Difference(Unstained(6.5f), Unstained(11.5f)) > Difference(Unstained(6.5f), Unstained(7.5f)));
    }

    [Theory]
    [InlineData("ventral nerve cord", Tissue.VentralCord)]
    [InlineData("visceral muscle primordium", Tissue.VisceralMuscle)]
    [InlineData("dorsal prothoracic pharyngeal muscle", Tissue.SomaticMuscle)]
    [InlineData("embryonic central brain glia", Tissue.Brain)]
    [InlineData("sensory nervous system primordium", Tissue.SensoryOrgans)]
    [InlineData("posterior midgut primordium", Tissue.Midgut)]
    [InlineData("head mesoderm primordium P2", Tissue.HeadMesoderm)]
    [InlineData("embryonic salivary gland", Tissue.SalivaryGland)]
    [InlineData("something no rule knows", Tissue.Other)]
    public void TermsMapToAnatomy(string term, Tissue tissue) => Assert.Equal(tissue, TermAnatomy.Site(term).Tissue);

    [Fact]
    public void StainLiesWhereTheTermSays()
    {
        (double x, double y, double mass) Centroid(string term, float t)
        {
            var model = new EmbryoModel(t, new[] { TermAnatomy.Site(term) }, new SeededRandom(4), developmentalJitter: 0);
            double sx = 0, sy = 0, m = 0;
            for (float y = -1; y <= 1; y += 0.02f)
                for (float x = -1; x <= 1; x += 0.01f)
                {
                    float s = model.Evaluate(x, y, 0.02f).stain;
                    sx += s * x; sy += s * y; m += s;
                }
            return (sx / m, sy / m, m);
        }
        var brain = Centroid("embryonic brain", 15.5f);
        Assert.True(brain.x < -0.3 && brain.y > 0, $"brain at ({brain.x:F2}, {brain.y:F2})");
        var cord = Centroid("ventral nerve cord", 15.5f);
        Assert.True(cord.y < -0.3, $"ventral nerve cord at ({cord.x:F2}, {cord.y:F2})");
        var poles = Centroid("pole cell", 4.5f);
        Assert.True(poles.x > 0.8, $"pole cells at ({poles.x:F2}, {poles.y:F2})");
        Assert.Equal(0, Centroid("flag_for_volker", 10f).mass, 6);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void SynthCommandWritesADatasetThatStatsReads()
    {
        var outDir = Path.Combine(dir, "sim");
        var (code, output, _) = CliRunner.Run("synth", "--out", outDir, "--preset", "bdgp-tiny", "--images", "30", "--seed", "4",
            "--tables", Path.Combine(TestPaths.SharedData, "bdgp-annotations"));
        Assert.Equal(0, code);
        var manifest = Manifest.Load(Path.Combine(outDir, "manifest.csv"));
        Assert.Equal(30, manifest.Rows.Count);
        Assert.Single(DatasetSimulator.Plan(Tables.Value, new SynthOptions(1)));
        Assert.All(manifest.Rows, r =>
        {
            Assert.True(File.Exists(manifest.FullPath(r)));
            Assert.NotNull(r.Stage);
            Assert.NotNull(r.Bag);
        });
        using (var img = ImageIO.Read(manifest.FullPath(manifest.Rows[0])))
            Assert.Equal(new long[] { 128, 320, 3 }, img.Shape);
        Assert.True(File.Exists(Path.Combine(outDir, "synth.json")));
        var (statsCode, _, _) = CliRunner.Run("data", "stats", Path.Combine(outDir, "manifest.csv"));
        Assert.Equal(0, statsCode);

        Assert.Equal($"error: unknown preset 'huge'; use one of {string.Join(", ", SynthOptions.Presets.Keys)}",
            CliRunner.Fails(1, CliRunner.Run("synth", "--out", outDir, "--preset", "huge", "--tables",
                Path.Combine(TestPaths.SharedData, "bdgp-annotations"))));
        Assert.Equal($"error: BDGP label table '{Path.Combine(dir, "nowhere", "standard_images.csv")}' does not exist; " +
            "pass --tables with the folder holding standard_images.csv and standard_annotations.csv (e.g. ../shared/data/bdgp-annotations)",
            CliRunner.Fails(1, CliRunner.Run("synth", "--out", outDir, "--tables", Path.Combine(dir, "nowhere"))));
    }
}
