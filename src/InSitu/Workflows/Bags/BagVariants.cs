namespace InSitu.Workflows.Bags;

/// <summary>
/// A configuration of the ablation: the full method, the method with one component off, or the CNN-only rule, which needs
/// no run of its own (it is the full run's CNN with each bag's probabilities the mean of its images').
/// </summary>
public sealed record BagVariant(string Name, string Description, Func<BagComponents, BagComponents> Components, bool CnnOfFullRun = false)
{
    public override string ToString() => Name;
}

/// <summary>The ablation's variants (METHODS.md section 5, issue 14), by name.</summary>
public static class BagVariants
{
    public static readonly BagVariant Full = new("full", "every component: warm-up, focal loss, weighted BCE with tempering, stage " +
        "masks, augmentation, cosine schedule, BiLSTM", c => c);
    public static readonly BagVariant CnnOnly = new("cnn_only_mean", "the full run's CNN, a bag's probabilities the mean of its images' " +
        "(no BiLSTM)", c => c with { Lstm = false }, CnnOfFullRun: true);

    public static IReadOnlyList<BagVariant> All { get; } = new[]
    {
        Full,
        new BagVariant("no_focal", "focal loss off (gamma 0: weighted BCE)", c => c with { FocalLoss = false }),
        new BagVariant("no_weights", "BCE weights off (w_m = 1, so no tempering either)", c => c with { WeightedBce = false }),
        new BagVariant("no_tempering", "weights held at w_m (no multiple tempering)", c => c with { Tempering = false }),
        new BagVariant("no_stage_masks", "stage masks off", c => c with { StageMasks = false }),
        new BagVariant("no_warmup", "self-supervised warm-up off", c => c with { Warmup = false }),
        new BagVariant("no_augmentation", "augmentation off (normalisation kept)", c => c with { Augmentation = false }),
        new BagVariant("no_cosine", "constant learning rate instead of the cosine", c => c with { CosineSchedule = false }),
        CnnOnly,
    };

    public static IEnumerable<string> Names => All.Select(v => v.Name);

    public static BagVariant Find(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"unknown variant '{name}': use {string.Join(", ", Names)}");

    /// <summary>A comma-separated list of variants, each known and none twice; the full method is added when missing (the
    /// CNN-only rule and the comparison need it).</summary>
    public static IReadOnlyList<BagVariant> Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException($"no variant given: use one or more of {string.Join(", ", Names)}");
        var variants = names.Select(Find).ToList();
        if (variants.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"variant '{twice.Key}' is listed twice");
        if (!variants.Contains(Full)) variants.Insert(0, Full);
        return All.Where(variants.Contains).ToList();
    }
}
