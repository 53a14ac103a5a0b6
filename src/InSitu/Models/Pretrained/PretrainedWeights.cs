using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models.Pretrained;

/// <summary>
/// A pretrained network from wherever its weights are: the weights store (default), a file the store wrote (NAME.pt
/// with its NAME.json record), or a plain state dict (a torchvision .pth, or an InSitu-layout MobileNetV2 dict). A file
/// of another architecture is refused naming both ("holds a resnet50 state dict ..., not vgg16").
/// </summary>
public static class PretrainedWeights
{
    /// <summary>The network of <paramref name="arch"/> with the weights of <paramref name="file"/> (null: the store's), in eval
    /// mode.</summary>
    public static Module Load(PretrainedArchitecture arch, string? file, WeightsStore? store = null)
    {
        if (file is null) return (store ?? WeightsStore.Default()).Load(arch.Name);
        if (!File.Exists(file)) throw new FileNotFoundException($"weights file '{file}' does not exist", file);
        if (File.Exists(WeightsStore.RecordPath(file)) && file.EndsWith(".pt", StringComparison.OrdinalIgnoreCase))
            return WeightsStore.LoadFile(arch, file);
        if (arch.FromTorchVision) return TorchVisionWeights.Import(arch, file).model;
        Dictionary<string, Tensor> state;
        try
        {
            state = Serialization.Load(file);
        }
        catch (TorchException e)
        {
            throw new InvalidDataException($"'{file}' is not a readable PyTorch state dict ({e.Message})", e);
        }
        try
        {
            if (StateDictArchitecture.Identify(state) is { } found && found.name != arch.Name)
                throw new InvalidDataException($"'{file}' holds a {found.name} state dict (key '{found.key}'), not {arch.Name}");
            if (!state.TryGetValue(arch.ClassifierKey, out var head) || head.Shape.Length != 2)
                throw new InvalidDataException($"'{file}' is not a {arch.Name} state dict: it has no '{arch.ClassifierKey}'");
            var model = arch.Create((int)head.Shape[0]);
            try
            {
                model.LoadStateDict(state);
            }
            catch (TorchException e)
            {
                model.Dispose();
                throw new InvalidDataException($"'{file}' is not a complete {arch.Name} state dict: {e.Message}", e);
            }
            model.Eval();
            return model;
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }
}
