using InSitu.Torch;

namespace InSitu.Tests;

/// <summary>
/// A fact about the fused inference plans: skipped, with the native engine's reason, when it was built without oneDNN
/// (the plans are optional; everything else must pass without them).
/// </summary>
public sealed class FusedPlanFactAttribute : FactAttribute
{
    public FusedPlanFactAttribute()
    {
        var (available, info) = InferencePlan.Availability;
        if (!available) Skip = info;
    }
}

/// <summary>A theory about the fused inference plans, skipped like <see cref="FusedPlanFactAttribute"/>.</summary>
public sealed class FusedPlanTheoryAttribute : TheoryAttribute
{
    public FusedPlanTheoryAttribute()
    {
        var (available, info) = InferencePlan.Availability;
        if (!available) Skip = info;
    }
}
