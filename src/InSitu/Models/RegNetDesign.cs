namespace InSitu.Models;

/// <summary>One stage of a RegNet: its block count, output width, group width of the 3x3 convolutions and bottleneck ratio.</summary>
public sealed record RegNetStage(int Depth, int Width, int GroupWidth, double BottleneckRatio)
{
    /// <summary>The bottleneck (3x3 group convolution) width, w * b.</summary>
    public int BottleneckWidth => (int)Math.Round(Width * BottleneckRatio);

    /// <summary>Groups of the 3x3 convolution: bottleneck width / group width.</summary>
    public int Groups => BottleneckWidth / GroupWidth;
}

/// <summary>
/// A point of the RegNet design space (Radosavovic et al., "Designing Network Design Spaces", CVPR 2020, section 3.3):
/// depth d, initial width w0, slope wa, width multiplier wm, group width g, bottleneck ratio b, and the
/// squeeze-and-excitation ratio of the RegNetY variant. <see cref="Stages"/> turns it into per-stage widths and depths
/// by the paper's quantisation, so a network is named by its six numbers, never by a list of widths.
/// </summary>
public sealed record RegNetDesign(int Depth, double W0, double Wa, double Wm, int GroupWidth, double BottleneckRatio = 1,
    double SeRatio = 0.25, int StemWidth = 32)
{
    /// <summary>Widths are multiples of 8 (the paper's q = 8).</summary>
    public const int Quantum = 8;

    /// <summary>RegNetY-200MF: d 13, w0 24, wa 36.44, wm 2.49, g 8, b 1, SE 0.25 (the paper's Table 4 / pycls model zoo).</summary>
    public static RegNetDesign Y200MF { get; } = new(13, 24, 36.44, 2.49, 8);

    /// <summary>
    /// The stages, first to last. Each block j = 0..d-1 gets a continuous width u_j = w0 + wa * j (Eq. 2); it is quantised
    /// on the log scale of wm, s_j = round(log(u_j / w0) / log(wm)) and w_j = w0 * wm^s_j (Eq. 3), then rounded to a
    /// multiple of q = 8. Consecutive blocks of one width form a stage. Last, each stage's group width is capped by its
    /// bottleneck width and the bottleneck width rounded to a multiple of the group width, so the groups divide it.
    /// </summary>
    public IReadOnlyList<RegNetStage> Stages()
    {
        Validate();
        var widths = new int[Depth];
        for (int j = 0; j < Depth; j++)
        {
            double u = W0 + Wa * j;
            double s = Math.Round(Math.Log(u / W0) / Math.Log(Wm), MidpointRounding.ToEven);
            widths[j] = (int)(Math.Round(W0 * Math.Pow(Wm, s) / Quantum, MidpointRounding.ToEven) * Quantum);
        }
        var stages = new List<RegNetStage>();
        for (int j = 0; j < Depth;)
        {
            int k = j;
            while (k < Depth && widths[k] == widths[j]) k++;
            stages.Add(Compatible(k - j, widths[j]));
            j = k;
        }
        return stages;
    }

    private RegNetStage Compatible(int depth, int width)
    {
        double bottleneck = width * BottleneckRatio;
        int g = (int)Math.Min(GroupWidth, bottleneck);
        int rounded = Math.Max(g, (int)Math.Round(bottleneck / g, MidpointRounding.ToEven) * g);
        return new RegNetStage(depth, (int)Math.Round(rounded / BottleneckRatio), g, BottleneckRatio);
    }

    public void Validate()
    {
        if (Depth < 1) throw new ArgumentException($"RegNet depth must be at least 1 (got {Depth})");
        if (W0 <= 0 || Wa < 0 || Wm <= 1) throw new ArgumentException($"RegNet needs w0 > 0, wa >= 0 and wm > 1 (got {W0}, {Wa}, {Wm})");
        if (GroupWidth < 1 || BottleneckRatio <= 0) throw new ArgumentException("RegNet group width and bottleneck ratio must be positive");
        if (SeRatio is < 0 or > 1) throw new ArgumentException($"RegNet SE ratio must be in [0, 1] (got {SeRatio})");
        if (StemWidth < 1) throw new ArgumentException("RegNet stem width must be at least 1");
    }
}
