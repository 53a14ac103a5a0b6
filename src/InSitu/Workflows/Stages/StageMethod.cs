namespace InSitu.Workflows.Stages;

/// <summary>A precise-stage method: its name, what data it needs, whether it leaves a network, and how it runs.</summary>
public sealed record StageMethod(string Name, string Description, bool NeedsRangeImages, bool HasNetwork,
    Func<StageMethodRunner, MethodOutcome> Run)
{
    /// <summary>The name as a file name ('+' is awkward in paths and URLs).</summary>
    public string Slug => Name.Replace('+', '_');

    public override string ToString() => Name;
}
