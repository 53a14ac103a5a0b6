namespace InSitu.Workflows.Stages;

/// <summary>The registry of precise-stage methods (METHODS.md sections 1-2), by name.</summary>
public static class StageMethods
{
    public static readonly StageMethod Gabor = new("gabor", "log-Gabor features + L2 logistic regression", false, false, r => r.Gabor());
    public static readonly StageMethod Plain = new("plain", "ResNet trained on the precisely staged images only",
        false, true, r => r.Plain());
    public static readonly StageMethod Data = new("data",
        "step 1 on stage ranges, then a new 14-way head on the precise stages", true, true,
        r => r.DataLevel());
    public static readonly StageMethod DataFeature = new("data+feature", "data, then step 2: reference sets and L = L_CE + L_S", true, true,
        r => r.DataFeature());

    public static IReadOnlyList<StageMethod> All { get; } = new[] { Gabor, Plain, Data, DataFeature };

    public static IEnumerable<string> Names => All.Select(m => m.Name);

    /// <summary>The method of this name; an unknown name is an error listing the valid ones.</summary>
    public static StageMethod Find(string name) =>
        All.FirstOrDefault(m => m.Name == name || m.Slug == name)
        ?? throw new ArgumentException($"unknown method '{name}': use {string.Join(", ", Names)}");

    /// <summary>A comma-separated list of methods, each known and none twice; an empty list is an error.</summary>
    public static IReadOnlyList<StageMethod> Parse(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException($"no method given: use one or more of {string.Join(", ", Names)}");
        var methods = names.Select(Find).ToList();
        var twice = methods.GroupBy(m => m).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"method '{twice.Key}' is listed twice");
        return methods;
    }
}
