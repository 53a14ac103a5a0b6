using InSitu.Common;

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
    public static StageMethod Find(string name) => MethodList.Find(All, name, m => m.Name, m => m.Slug);

    /// <summary>A comma-separated list of methods, each known and none twice; an empty list is an error.</summary>
    public static IReadOnlyList<StageMethod> Parse(string list) => MethodList.Parse(list, All, Find, m => m.Name);
}
