using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models.Pretrained;

/// <summary>
/// A torchvision state dict (torch.save's zip format or the legacy stream of older files such as vgg16-397923af.pth)
/// loaded into InSitu's network of the same layout, after checking that it is that network.
/// </summary>
public static class TorchVisionWeights
{
    /// <summary>The network of <paramref name="arch"/> with the weights of <paramref name="file"/>, and its record.</summary>
    public static (Module model, WeightsRecord record) Import(PretrainedArchitecture arch, string file)
    {
        if (!arch.FromTorchVision)
            throw new ArgumentException($"{arch.Name} weights are not imported from a file: {arch.Source}");
        if (!File.Exists(file)) throw new FileNotFoundException($"'{file}' does not exist", file);
        var state = LoadStateDict(file);
        var loaded = state.Values.ToList();
        try
        {
            // nn.DataParallel saves every key under "module."
            if (state.Count > 0 && state.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)))
                state = state.ToDictionary(e => e.Key["module.".Length..], e => e.Value);
            if (StateDictArchitecture.Identify(state) is { } found && found.name != arch.Name)
                throw new InvalidDataException($"'{file}' holds a {found.name} state dict (key '{found.key}'), not {arch.Name}");
            if (!state.TryGetValue(arch.ClassifierKey, out var head) || head.Shape.Length != 2)
                throw new InvalidDataException($"'{file}' is not a {arch.Name} state dict: it has no '{arch.ClassifierKey}' " +
                    $"(its first keys: {string.Join(", ", state.Keys.Take(4))})");
            var model = arch.Create((int)head.Shape[0]);
            try
            {
                // Files saved before PyTorch 0.4.1 have no batch counters; PyTorch's loader starts them at zero too.
                foreach (var (key, own) in model.StateDict())
                    if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) state.TryAdd(key, own);
                model.LoadStateDict(state);
            }
            catch (TorchException e)
            {
                model.Dispose();
                throw new InvalidDataException($"'{file}' is not a complete {arch.Name} state dict: {e.Message}", e);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.Eval();
            var record = new WeightsRecord(arch.Name, (int)head.Shape[0], [], Path.GetFullPath(file),
                $"torchvision state dict '{Path.GetFileName(file)}'", $"{arch.Network} with the weights of '{Path.GetFileName(file)}'",
                "RGB in [0, 1] normalised by ImageNet's mean and std (ImageNetNormalization), as torchvision's weights expect",
                DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            return (model, record);
        }
        finally
        {
            foreach (var t in loaded) t.Dispose();
        }
    }

    private static Dictionary<string, Tensor> LoadStateDict(string file)
    {
        try
        {
            return Serialization.Load(file);
        }
        catch (TorchException e)
        {
            throw new InvalidDataException($"'{file}' is not a readable PyTorch state dict ({e.Message}); it may be truncated " +
                "or not a weights file: download it again", e);
        }
    }
}
