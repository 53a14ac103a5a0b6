using System.Diagnostics;
using System.Globalization;
using InSitu.Imaging;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Synthesis.Realism;

/// <summary>What to compare: the real photos' folder, how many images to simulate per view, the seed.</summary>
/// <remarks>SimulatedFolder: measure the images of this folder (<see cref="SimulatedImageSet"/>) instead of rendering Count.</remarks>
public sealed record RealismOptions(string RealFolder, int Count = 16, int Seed = 1, int PatchesPerSet = 600,
    string? SimulatedFolder = null)
{
    /// <summary>Raw frames are measured at half size (the photos' JPEG blocks and sensor grain averaged out).</summary>
    public static readonly ViewSettings Raw = new("raw", Window: 32, new DistanceBins(-16, 2, 40), Patch: 24);

    /// <summary>Standard 320x128 views are measured as they are.</summary>
    public static readonly ViewSettings Standard = new("standard", Window: 32, new DistanceBins(-8, 1, 40), Patch: 16);
}

/// <summary>How one view is measured: spectrum window, distance bins of the edge profile, patch side (pixels).</summary>
public sealed record ViewSettings(string Name, int Window, DistanceBins Bins, int Patch);

/// <summary>Earth mover's distances of the R, G and B histograms (grey levels) and their mean.</summary>
public sealed record ChannelDistances(double R, double G, double B)
{
    public double Mean => (R + G + B) / 3;

    public static ChannelDistances Between(double[][] a, double[][] b) =>
        new(ColourHistograms.EarthMovers(a[0], b[0]), ColourHistograms.EarthMovers(a[1], b[1]), ColourHistograms.EarthMovers(a[2], b[2]));
}

/// <summary>The curves behind the distances, simulated and real.</summary>
public sealed record ViewCurves(double[][] SimulatedBackground, double[][] RealBackground, double[][] SimulatedEmbryo,
    double[][] RealEmbryo, double[] SimulatedSpectrum, double[] RealSpectrum, double[] SimulatedEdges, double[] RealEdges);

/// <summary>Every measure of one view: lower is closer to the real images.</summary>
public sealed record ViewComparison(string View, int SimulatedImages, int RealImages, ChannelDistances BackgroundColour,
    ChannelDistances EmbryoColour, double TextureSpectrumDistance, double EdgeProfileDistance, double PatchAuc, int PatchesPerSet,
    int Folds)
{
    /// <summary>The headline numbers, by name (mean colour distances).</summary>
    public IReadOnlyDictionary<string, double> Summary() => new Dictionary<string, double>
    {
        ["background_colour_emd"] = BackgroundColour.Mean,
        ["embryo_colour_emd"] = EmbryoColour.Mean,
        ["texture_spectrum_distance"] = TextureSpectrumDistance,
        ["edge_profile_distance"] = EdgeProfileDistance,
        ["patch_auc"] = PatchAuc,
    };
}

/// <summary>
/// How close are simulated images to real ones? Simulated raw frames (rendered at the photos' size, written as JPEG and
/// read back, as `insitu synth --raw` writes them) are compared with the real photos, and simulated standard views
/// with standard views made from the photos and their masks (<see cref="MaskedStandardView"/>), on four measures:
/// colour histograms of background and embryo (earth mover's distance per channel), the embryo's texture power
/// spectrum, the edge-density profile across the outline, and how well a patch classifier tells the two apart (ROC
/// AUC). Writes config.json, metrics.json, report.html and the images it shows into a run directory.
/// </summary>
public static class RealismReport
{
    public sealed record Result(ViewComparison Raw, ViewComparison Standard, IReadOnlyList<string> Unmasked, double Seconds);

    public static Result Run(RealismOptions options, BdgpLabelTables tables, string outDir)
    {
        if (options.Count < 2)
            throw new ArgumentException("--count must be at least 2 (the patch classifier's folds are grouped by image)");
        var watch = Stopwatch.StartNew();
        var real = RealPhotoSet.Load(options.RealFolder);
        if (real.Photos.Count < 2)
            throw new ArgumentException($"real photo folder '{options.RealFolder}' holds {real.Photos.Count} photo with a mask; " +
                "the comparison needs at least 2");
        var run = new RunDirectory(outDir);
        var images = run.Subfolder("images");
        var first = real.Photos[0];
        var synth = new SynthOptions(options.Count, options.Seed, RawWidth: first.Width, RawHeight: first.Height);

        IReadOnlyList<MaskedPicture> simRaw, simStandard;
        if (options.SimulatedFolder is { } simulatedFolder)
        {
            var (raw, standard) = SimulatedImageSet.Load(simulatedFolder);
            simRaw = raw.Select(p => p.Half()).ToList();
            simStandard = standard;
            foreach (var p in simStandard) p.Picture.Save(Path.Combine(images, p.Name));
        }
        else (simRaw, simStandard) = Render(DatasetSimulator.Plan(tables, synth), synth, images);
        var realRaw = real.Photos.Select(p => p.Half()).ToList();
        var realStandard = real.Photos.Select(p => MaskedStandardView.Of(p, synth.Width, synth.Height)).ToList();
        for (int i = 0; i < realStandard.Count; i++) realStandard[i].Picture.Save(Path.Combine(images, $"real_standard_{i:D3}.png"));

        var (rawComparison, rawCurves) = Compare(simRaw, realRaw, RealismOptions.Raw, options);
        var (standardComparison, standardCurves) = Compare(simStandard, realStandard, RealismOptions.Standard, options);

        // raw frames shown at a quarter of their size
        var shownReal = realRaw.Select((p, i) => Save(p.Half(), images, $"real_raw_{i:D3}.png")).ToList();
        var shownSim = simRaw.Take(4).Select((p, i) => Save(p.Half(), images, $"sim_raw_{i:D3}.png")).ToList();
        run.WriteJson("config.json", new
        {
            real_folder = Path.GetFullPath(options.RealFolder),
            real_photos = real.Photos.Select(p => p.Name).ToArray(),
            unmasked_photos_not_used = real.Unmasked.Select(Path.GetFileName).ToArray(),
            simulated_per_view = simStandard.Count,
            simulated_folder = options.SimulatedFolder is null ? null : Path.GetFullPath(options.SimulatedFolder),
            options.Seed,
            patches_per_set = options.PatchesPerSet,
            raw = RealismOptions.Raw,
            standard = RealismOptions.Standard,
            raw_frame_size = new[] { synth.RawWidth, synth.RawHeight },
            tables = Path.GetFullPath(tables.Folder),
        });
        run.WriteJson("metrics.json", new
        {
            raw = Metrics(rawComparison, rawCurves),
            standard = Metrics(standardComparison, standardCurves),
        });
        WriteReport(run, rawComparison, rawCurves, standardComparison, standardCurves, shownReal, shownSim,
            realStandard.Select((_, i) => $"images/real_standard_{i:D3}.png").ToList(),
            simStandard.Take(8).Select(p => $"images/{p.Name}").ToList(), real.Unmasked);
        return new Result(rawComparison, standardComparison, real.Unmasked, watch.Elapsed.TotalSeconds);
    }

    /// <summary>This build's simulator: raw frames (through JPEG, at half size) and standard views, with their masks.</summary>
    private static (MaskedPicture[] raw, MaskedPicture[] standard) Render(List<SynthImage> plan, SynthOptions synth, string images)
    {
        var simRaw = new MaskedPicture[plan.Count];
        var simStandard = new MaskedPicture[plan.Count];
        Parallel.For(0, plan.Count, i =>
        {
            var (pixels, _) = DatasetSimulator.RenderRaw(plan[i], synth, out var mainMask);
            // through JPEG and back, as the frames `synth --raw` writes (and the real photos) are
            var jpeg = Path.Combine(images, $".sim_raw_{i:D3}.jpg");
            new Picture(pixels, synth.RawWidth, synth.RawHeight).Save(jpeg);
            using (var back = ImageIO.ReadRgb8(jpeg))
                simRaw[i] = new MaskedPicture($"sim_raw_{i:D3}", new Picture(back.ToArray<byte>(), synth.RawWidth, synth.RawHeight),
                    mainMask).Half();
            File.Delete(jpeg);
            var standard = DatasetSimulator.RenderStandard(plan[i], synth, out var mask);
            simStandard[i] = new MaskedPicture($"sim_standard_{i:D3}.png", new Picture(standard, synth.Width, synth.Height), mask);
            simStandard[i].Picture.Save(Path.Combine(images, simStandard[i].Name));
        });
        return (simRaw, simStandard);
    }

    private static string Save(MaskedPicture p, string folder, string name)
    {
        p.Picture.Save(Path.Combine(folder, name));
        return $"images/{name}";
    }

    /// <summary>All measures of one view, simulated against real.</summary>
    public static (ViewComparison comparison, ViewCurves curves) Compare(IReadOnlyList<MaskedPicture> simulated,
        IReadOnlyList<MaskedPicture> real, ViewSettings view, RealismOptions options)
    {
        var curves = new ViewCurves(
            ColourHistograms.Of(simulated, Region.Background), ColourHistograms.Of(real, Region.Background),
            ColourHistograms.Of(simulated, Region.Embryo), ColourHistograms.Of(real, Region.Embryo),
            TextureSpectrum.Of(simulated, view.Window), TextureSpectrum.Of(real, view.Window),
            EdgeProfile.Of(simulated, view.Bins), EdgeProfile.Of(real, view.Bins));
        var auc = PatchDiscriminator.Auc(simulated, real, view.Patch, options.PatchesPerSet, options.Seed);
        return (new ViewComparison(view.Name, simulated.Count, real.Count,
            ChannelDistances.Between(curves.SimulatedBackground, curves.RealBackground),
            ChannelDistances.Between(curves.SimulatedEmbryo, curves.RealEmbryo),
            TextureSpectrum.Distance(curves.SimulatedSpectrum, curves.RealSpectrum),
            EdgeProfile.Distance(curves.SimulatedEdges, curves.RealEdges), auc.Auc, auc.PatchesPerSet, auc.Folds), curves);
    }

    private static object Metrics(ViewComparison c, ViewCurves curves) => new
    {
        c.SimulatedImages,
        c.RealImages,
        background_colour_emd = new { c.BackgroundColour.R, c.BackgroundColour.G, c.BackgroundColour.B, c.BackgroundColour.Mean },
        embryo_colour_emd = new { c.EmbryoColour.R, c.EmbryoColour.G, c.EmbryoColour.B, c.EmbryoColour.Mean },
        c.TextureSpectrumDistance,
        c.EdgeProfileDistance,
        c.PatchAuc,
        c.PatchesPerSet,
        c.Folds,
        curves = new
        {
            log10_spectrum_simulated = curves.SimulatedSpectrum.Skip(1).Select(Math.Log10).ToArray(),
            log10_spectrum_real = curves.RealSpectrum.Skip(1).Select(Math.Log10).ToArray(),
            edge_profile_simulated = curves.SimulatedEdges,
            edge_profile_real = curves.RealEdges,
        },
    };

    private static void WriteReport(RunDirectory run, ViewComparison raw, ViewCurves rawCurves, ViewComparison standard,
        ViewCurves standardCurves, IReadOnlyList<string> realRaw, IReadOnlyList<string> simRaw, IReadOnlyList<string> realStandard,
        IReadOnlyList<string> simStandard, IReadOnlyList<string> unmasked)
    {
        static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        var report = new HtmlReport("Simulated against real images")
            .Paragraph("Simulated BDGP-like images next to real ones. Lower is closer on every measure: colour distances are the " +
                "earth mover's distance between histograms (grey levels a pixel must move on average), the texture distance the mean " +
                "|log10 power| difference of the embryo's radially averaged power spectrum (decades), the edge distance the mean " +
                "difference of the gradient magnitude across the outline (grey levels per pixel), and the patch AUC how well a " +
                "logistic regression on simple patch features tells simulated from real patches out of fold (0.5: not at all).")
            .Table(new[] { "measure", "raw frames", "standard views" },
                raw.Summary().Keys.Select(k =>
                    (IReadOnlyList<string>)new[] { k.Replace('_', ' '), F(raw.Summary()[k]), F(standard.Summary()[k]) }))
            .Paragraph($"Raw: {raw.SimulatedImages} simulated frames against {raw.RealImages} real photos, measured at half size. " +
                $"Standard: {standard.SimulatedImages} simulated views against {standard.RealImages} views cut from the photos with " +
                "their masks (major axis horizontal, bounding box scaled to fill 320x128, white outside the mask)." +
                (unmasked.Count > 0 ? $" Not used (no mask): {string.Join(", ", unmasked.Select(Path.GetFileName))}." : ""));
        report.Heading("Raw frames")
            .ImageRow(realRaw.Select((p, i) => (p, $"real {i + 1}")).ToList(), "real photos (quarter size)")
            .ImageRow(simRaw.Select((p, i) => (p, $"simulated {i + 1}")).ToList(), "simulated raw frames (quarter size)");
        Curves(report, "raw frames", rawCurves, RealismOptions.Raw);
        report.Heading("Standard views")
            .ImageRow(realStandard.Select((p, i) => (p, $"real {i + 1}")).ToList(), "standard views cut from the real photos")
            .ImageRow(simStandard.Select((p, i) => (p, $"simulated {i + 1}")).ToList(), "simulated standard views");
        Curves(report, "standard views", standardCurves, RealismOptions.Standard);
        report.Save(run);
    }

    private static void Curves(HtmlReport report, string view, ViewCurves c, ViewSettings settings)
    {
        foreach (var (region, sim, real) in new[] { ("background", c.SimulatedBackground, c.RealBackground),
            ("embryo", c.SimulatedEmbryo, c.RealEmbryo) })
        {
            var series = new List<(string, IReadOnlyList<double>)>();
            string[] channel = { "R", "G", "B" };
            for (int ch = 0; ch < 3; ch++)
            {
                series.Add(($"{channel[ch]} simulated", ColourHistograms.Coarse(sim[ch], 64)));
                series.Add(($"{channel[ch]} real", ColourHistograms.Coarse(real[ch], 64)));
            }
            report.LinePlot($"{view}: colour histogram of the {region} (share of pixels per 4 grey levels)", "grey level", series, 0, 255);
        }
        report.LinePlot(
            $"{view}: texture power spectrum inside the embryo (log10 power per ring, {settings.Window}x{settings.Window} windows)",
            "cycles per window", new (string, IReadOnlyList<double>)[]
            {
                ("simulated", c.SimulatedSpectrum.Skip(1).Select(Math.Log10).ToList()),
                ("real", c.RealSpectrum.Skip(1).Select(Math.Log10).ToList()),
            }, 1, settings.Window / 2 - 1);
        report.LinePlot($"{view}: mean gradient magnitude by signed distance from the outline (pixels, inside positive)",
            "distance from the outline", new (string, IReadOnlyList<double>)[]
            {
                ("simulated", c.SimulatedEdges), ("real", c.RealEdges),
            }, settings.Bins.Centre(0), settings.Bins.Centre(settings.Bins.Count - 1));
    }
}
