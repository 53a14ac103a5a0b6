namespace InSitu.Torch;

/// <summary>The BLAS library libtorch's matrix products run on, as resolved in this process.</summary>
/// <param name="Name">"OpenBLAS ..." with its build configuration, "MKL", "BLIS", "reference" or "unknown".</param>
/// <param name="Path">The library file that provides <c>sgemm_</c>, or empty when it is linked in statically.</param>
public sealed record BlasInfo(string Name, string Path)
{
    /// <summary>The netlib reference BLAS, which leaves every matrix product about 80x slower than an optimised one.</summary>
    public bool IsReference => Name == "reference";

    public override string ToString() => IsReference
        ? $"reference BLAS ({Path}): slow; run 'make setup' to install libopenblas0-openmp"
        : Path.Length > 0 ? $"{Name} ({Path})" : Name;
}
