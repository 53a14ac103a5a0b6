namespace InSitu.Torch.Onnx;

/// <summary>
/// A composite module that writes its own inference forward pass as ONNX nodes, in terms of its children
/// (<see cref="OnnxExporter.ExportChild"/>) and a few operators of its own (<see cref="OnnxExporter.Node"/>). The
/// exporter knows the engine's layers; a module with its own forward pass declares it here, next to that forward
/// pass, so the two are read and changed together.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the nodes that compute this module's output from the value <paramref name="input"/>; returns the value
    /// holding the output. <paramref name="path"/> is the module's name in the model ("" for the root, e.g. "layer1.0").</summary>
    string ExportOnnx(OnnxExporter exporter, string input, string path);
}
