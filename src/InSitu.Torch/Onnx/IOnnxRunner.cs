namespace InSitu.Torch.Onnx;

/// <summary>
/// An ONNX runtime that runs a model file on one float32 input and returns its first output, so a check of an
/// exported file can live in the toolkit while the runtime (a native dependency) stays with the program that uses it.
/// </summary>
public interface IOnnxRunner
{
    /// <summary>The runtime and its version, as reports name it (e.g. "ONNX Runtime 1.31.1").</summary>
    string Name { get; }

    /// <summary>Runs <paramref name="modelPath"/> with <paramref name="input"/> (row-major, of <paramref name="shape"/>) as
    /// <paramref name="inputName"/>; returns the first output's values, row-major.</summary>
    float[] Run(string modelPath, string inputName, float[] input, long[] shape);
}
