using System.Globalization;
using System.Text.RegularExpressions;
using InSitu.Torch;

namespace InSitu.Models.Pretrained;

/// <summary>
/// Which well-known network a state dict belongs to, read from its keys and shapes, so that a weights file of another
/// architecture is refused by name ("holds a resnet50 state dict (key 'layer1.0.conv3.weight'), not vgg16").
/// </summary>
public static partial class StateDictArchitecture
{
    /// <summary>The architecture's name and the key that shows it, or null when the keys match none of those known here.</summary>
    public static (string name, string key)? Identify(IReadOnlyDictionary<string, Tensor> state)
    {
        bool Has(string k) => state.ContainsKey(k);
        if (Has("Conv1.weight") && Has("block_16_project.weight")) return ("mobilenet_v2", "block_16_project.weight");
        if (Has("features.18.0.weight")) return ("torchvision mobilenet_v2", "features.18.0.weight");
        if (Has("features.0.weight") && Has("classifier.6.weight")) return Vgg(state);
        if (Has("layer1.0.conv1.weight") && Has("fc.weight")) return ResNet(state);
        if (Has("linear.weight") && Has("layer1.0.conv1.weight")) return ("InSitu stage-workflow ResNet", "linear.weight");
        return null;
    }

    private static (string, string) Vgg(IReadOnlyDictionary<string, Tensor> state)
    {
        var convs = state.Where(e => FeatureWeight().IsMatch(e.Key) && e.Value.Shape.Length == 4).Select(e => e.Key)
            .OrderBy(k => int.Parse(FeatureWeight().Match(k).Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        bool bn = state.ContainsKey("features.1.running_mean");
        var name = convs.Count switch
        {
            8 => "vgg11",
            10 => "vgg13",
            13 => "vgg16",
            16 => "vgg19",
            var n => $"VGG-like ({n} convolutions)",
        };
        return bn ? (name + "_bn", "features.1.running_mean") : (name, convs.Count > 0 ? convs[^1] : "classifier.6.weight");
    }

    private static (string, string) ResNet(IReadOnlyDictionary<string, Tensor> state)
    {
        var blocks = new int[4];
        foreach (var key in state.Keys)
            if (BlockConv1().Match(key) is { Success: true } m)
            {
                int s = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1;
                int b = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                if (s is >= 0 and < 4) blocks[s] = Math.Max(blocks[s], b + 1);
            }
        bool bottleneck = state.ContainsKey("layer1.0.conv3.weight");
        var depth = string.Join("-", blocks);
        if (!bottleneck)
        {
            var key = $"layer3.{blocks[2] - 1}.conv2.weight";
            return depth switch
            {
                "2-2-2-2" => ("resnet18", key),
                "3-4-6-3" => ("resnet34", key),
                _ => ($"ResNet ({depth} basic blocks)", key),
            };
        }
        var width = state["layer1.0.conv1.weight"].Shape[0];
        if (width != 64) return ($"wide ResNet or ResNeXt (layer1.0.conv1.weight has {width} filters)", "layer1.0.conv1.weight");
        return depth switch
        {
            "3-4-6-3" => ("resnet50", "layer1.0.conv3.weight"),
            "3-4-23-3" => ("resnet101", "layer3.22.conv3.weight"),
            "3-8-36-3" => ("resnet152", "layer3.35.conv3.weight"),
            _ => ($"ResNet ({depth} bottlenecks)", "layer1.0.conv3.weight"),
        };
    }

    [GeneratedRegex(@"^features\.(\d+)\.weight$")]
    private static partial Regex FeatureWeight();

    [GeneratedRegex(@"^layer(\d+)\.(\d+)\.conv1\.weight$")]
    private static partial Regex BlockConv1();
}
