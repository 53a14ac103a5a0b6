namespace InSitu.Data;

/// <summary>
/// A precise developmental stage that the stage models predict, 4..17 (stages 1-3 are too few in BDGP to learn).
/// It is the one place where a stage becomes a class index (stage 4 is class 0) and back.
/// </summary>
public readonly record struct PreciseStage
{
    public const int First = 4, Last = 17, Count = Last - First + 1;

    public PreciseStage(int value)
    {
        if (value is < First or > Last) throw new ArgumentOutOfRangeException(nameof(value), $"stage {value} is outside {First}..{Last}");
        Value = value;
    }

    public int Value { get; }

    /// <summary>The model's output index of this stage.</summary>
    public int Class => Value - First;

    /// <summary>The stage range 1..6 this stage belongs to.</summary>
    public int Range => StageRanges.Of(Value);

    public static PreciseStage FromClass(long index) => new((int)index + First);

    public static bool IsPrecise(int? stage) => stage is >= First and <= Last;

    /// <summary>Every precise stage, in order.</summary>
    public static IEnumerable<PreciseStage> All => Enumerable.Range(First, Count).Select(s => new PreciseStage(s));

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The BDGP/FlyExpress stage ranges (coarse labels) and how precise stages fall into them.</summary>
public static class StageRanges
{
    public static readonly string[] Names = { "1-3", "4-6", "7-8", "9-10", "11-12", "13-17" };

    /// <summary>The range index 1..6 of a precise stage 1..17.</summary>
    public static int Of(int stage) => stage switch
    {
        >= 1 and <= 3 => 1,
        <= 6 and >= 4 => 2,
        <= 8 and >= 7 => 3,
        <= 10 and >= 9 => 4,
        <= 12 and >= 11 => 5,
        <= 17 and >= 13 => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), $"stage {stage} is outside 1..17"),
    };
}

