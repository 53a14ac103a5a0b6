using InSitu.Classic;
using InSitu.Data;
using InSitu.Imaging;
using InSitu.Interpretation;
using InSitu.Models;
using InSitu.Torch;
using InSitu.Training;

namespace InSitu.Workflows.Stages;

/// <summary>
/// Interpretation of a trained stage model (METHODS.md section 3): attribution maps per image, genome-wide
/// expression maps per predicted and per true stage (plain and saliency-masked), and first-layer feature maps next
/// to log-Gabor responses. Images are read twice: grey and normalised as the model sees them, and in colour at the
/// same size for stain separation and overlays.
/// </summary>
public sealed class StageInterpreter
{
    private readonly ResNet _net;
    private readonly StageConfig _config;

    public StageInterpreter(ResNet net, StageConfig config)
    {
        (_net, _config) = (net, config);
        _net.Eval();
    }

    public StainSeparation Stain { get; init; } = new();

    /// <summary>Model input (N x C x H x W) and colour pictures at the model's size for the given manifest rows.</summary>
    public (Tensor x, List<Picture> colour) Load(Manifest m, IReadOnlyList<int> rows)
    {
        var options = _config.Loader();
        var x = Inference.Images(new ImageBatchLoader(m, options, rows: rows));
        var colour = new Picture[rows.Count];
        Parallel.For(0, rows.Count, i => colour[i] = Colour(m.FullPath(m.Rows[rows[i]])));
        return (x, colour.ToList());
    }

    private Picture Colour(string path)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var img = ImageIO.ReadRgb8(path);
        if (img.Shape[0] != _config.Height || img.Shape[1] != _config.Width)
            img = ImageIO.Resize(img, _config.Height, _config.Width, interpolation: 3);
        return new Picture(img.Contiguous().ToArray<byte>(), _config.Width, _config.Height);
    }

    /// <summary>Attribution maps (normalised per image, N x H*W) and the class explained per image, batch by batch.</summary>
    public (float[][] maps, long[] classes) Explain(Tensor x, AttributionMethod method, long[]? classes = null, int batch = 64)
    {
        var maps = new List<float[]>();
        var used = new List<long>();
        for (long s = 0; s < x.Size(0); s += batch)
        {
            using var scope = TorchRuntime.NewDisposeScope();
            var xb = x.Narrow(0, s, Math.Min(batch, x.Size(0) - s));
            var cb = classes?.Skip((int)s).Take((int)xb.Size(0)).ToArray();
            var (map, c) = method switch
            {
                AttributionMethod.Saliency => Attribution.Saliency(_net.Forward, xb, cb),
                AttributionMethod.Guided => Attribution.Guided(_net, xb, cb),
                _ => Attribution.GradCam(_net, xb, cb),
            };
            var flat = Attribution.Normalise(map).ToFloatArray();
            int plane = _config.Height * _config.Width;
            for (int i = 0; i < c.Length; i++) maps.Add(flat.AsSpan(i * plane, plane).ToArray());
            used.AddRange(c);
        }
        return (maps.ToArray(), used.ToArray());
    }

    /// <summary>
    /// GEMs by predicted stage and by true stage where known, and, when <paramref name="masked"/>, by predicted stage
    /// weighted by saliency (left empty otherwise: saliency costs a backward pass per image).
    /// </summary>
    public (ExpressionMaps predicted, ExpressionMaps masked, ExpressionMaps truth) Gems(Tensor x, IReadOnlyList<Picture> colour,
        IReadOnlyList<int?> trueStages,
        bool masked = true)
    {
        float[][]? saliency = null;
        long[] predicted;
        if (masked) (saliency, predicted) = Explain(x, AttributionMethod.Saliency);
        else predicted = Inference.Classify(_net, x);
        int w = _config.Width, h = _config.Height;
        var gems = (new ExpressionMaps(w, h), new ExpressionMaps(w, h), new ExpressionMaps(w, h));
        for (int i = 0; i < colour.Count; i++)
        {
            var active = Stain.Active(colour[i].Pixels, w, h);
            int stage = PreciseStage.FromClass(predicted[i]).Value;
            gems.Item1.Add(stage, active);
            if (saliency is not null) gems.Item2.Add(stage, active, saliency[i]);
            if (trueStages[i] is { } t) gems.Item3.Add(t, active);
        }
        return gems;
    }

    /// <summary>
    /// One image's first-layer CNN responses (the 6 most active channels) above its log-Gabor responses at the
    /// second scale, one per orientation, each normalised to its own maximum (seed 000 Fig. 6).
    /// </summary>
    public Picture FeatureMaps(Tensor x1, Picture colour)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        int w = _config.Width, h = _config.Height;
        Tensor first;
        using (Autograd.InferenceMode()) first = _net.FirstLayer(x1).Squeeze(0);
        var energy = first.Mean(new long[] { 1, 2 }).ToFloatArray();
        var top = energy.Select((e, i) => (e, i)).OrderByDescending(t => t.e).Take(6).Select(t => t.i).ToList();
        var cnn = top.Select(c => MapImages.Gray(Normalised(first.Select(0, c).ToFloatArray()), w, h)).ToList();
        var gray = x1.Narrow(1, 0, 1);
        using var bank = new LogGaborBank();
        var responses = bank.Responses(gray).Squeeze(0);
        var gabor = Enumerable.Range(0, bank.Orientations)
            .Select(o => MapImages.Gray(Normalised(responses.Select(0, bank.Orientations + o).ToFloatArray()), w, h)).ToList();
        return MapImages.Grid(new List<(int, IReadOnlyList<Picture>)>
        {
            (0, new List<Picture> { colour }), (1, cnn), (2, gabor),
        });
    }

    private static float[] Normalised(float[] v)
    {
        float max = Math.Max(v.Max(), 1e-12f);
        return v.Select(a => a / max).ToArray();
    }

    /// <summary>GEM panels for the given stages, rows = stages, columns = the given map sets, with a shared legend.</summary>
    public static Picture GemGrid(IReadOnlyList<int> stages, IReadOnlyList<ExpressionMaps> columns)
    {
        int w = columns[0].Width, h = columns[0].Height;
        float max = stages.SelectMany(s => columns.SelectMany(c => c.Map(s))).DefaultIfEmpty(0).Max();
        max = Math.Max(max, 1e-6f);
        var rows = stages.Select(s => (s, (IReadOnlyList<Picture>)columns.Select(c => MapImages.Coloured(c.Map(s), w, h, max))
            .Append(MapImages.Legend(h, (int)Math.Round(100 * max))).ToList())).ToList();
        return MapImages.Grid(rows);
    }
}
