using System.CommandLine;
using InSitu.Models;
using InSitu.Models.Pretrained;

namespace InSitu.Cli;

/// <summary>`insitu weights ...`: pretrained networks: fetch (mobilenet_v2), import (torchvision files), list, taps.</summary>
public static class WeightsCommands
{
    public static Command Build()
    {
        var weights = new Command("weights",
            "Pretrained weights: fetch MobileNetV2 (nsfwjs, npm), import torchvision VGG16 / ResNet files, list them and their tap points");
        weights.Subcommands.Add(List());
        weights.Subcommands.Add(Get());
        weights.Subcommands.Add(Import());
        weights.Subcommands.Add(Taps());
        return weights;
    }

    private static Option<string?> StoreOption() => new("--store")
    {
        Description = "Weights folder (default: $INSITU_WEIGHTS_DIR, else $XDG_DATA_HOME/insitu/weights or ~/.local/share/insitu/weights)"
    };

    private static WeightsStore Store(string? folder) => folder is null ? WeightsStore.Default() : new WeightsStore(folder);

    private static Argument<string> ArchitectureArgument(IEnumerable<PretrainedArchitecture> allowed)
    {
        var names = allowed.Select(a => a.Name).ToArray();
        var argument = new Argument<string>("architecture") { Description = string.Join(", ", names) };
        argument.AcceptOnlyFromAmong(names);
        return argument;
    }

    private static Command List()
    {
        var cmd = new Command("list", "The architectures InSitu has pretrained weights for, where they come from and which are stored");
        var store = StoreOption();
        cmd.Options.Add(store);
        cmd.SetAction(pr =>
        {
            var s = Store(pr.GetValue(store));
            Console.WriteLine($"weights folder: {s.Folder}");
            foreach (var arch in PretrainedArchitecture.All)
            {
                Console.WriteLine($"{arch.Name}: {arch.Network}; from {arch.Source}");
                var record = s.Find(arch.Name);
                Console.WriteLine(record is null
                    ? "  not stored"
                    : $"  stored: {s.WeightsPath(arch.Name)} ({record.Classes} classes, {record.Created}): {record.Description}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Get()
    {
        var cmd = new Command("get",
            $"Fetch {NsfwjsPackage.Spec} (npm pack, or the npm registry over HTTPS without npm; kept in the weights folder's " +
            "packages/), check its checksum, decode its MobileNetV2 weights and store them as a PyTorch state dict");
        var arch = ArchitectureArgument([PretrainedArchitecture.MobileNetV2]);
        var output = new Option<string?>("--out") { Description = "Write the weights to this file instead of the weights folder" };
        var from = new Option<string?>("--from") { Description = $"Use this {NsfwjsPackage.TarballName} instead of fetching it" };
        var force = new Option<bool>("--force")
        {
            Description = "Decode and store again even if the weights are already stored (from the kept package, if there is one)"
        };
        var store = StoreOption();
        cmd.Arguments.Add(arch);
        foreach (var o in new Option[] { output, from, force, store }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var s = Store(pr.GetValue(store));
            var target = Path.GetFullPath(pr.GetValue(output) ?? s.WeightsPath(PretrainedArchitecture.MobileNetV2.Name));
            var cache = s.PackageCache(NsfwjsPackage.TarballName);
            if (!pr.GetValue(force) && File.Exists(target) && File.Exists(WeightsStore.RecordPath(target)) && File.Exists(cache))
            {
                Console.WriteLine($"mobilenet_v2 weights are already stored: {target} (--force stores them again)");
                return 0;
            }
            var package = NsfwjsPackage.Fetch(pr.GetValue(from), cache, Console.WriteLine);
            var (model, record) = MobileNetV2Weights.FromPackage(package);
            using (model)
            {
                var path = s.Save(model, record, target);
                Console.WriteLine($"stored {model.StateDict().Count} tensors ({model.ParameterCount():N0} parameters) -> {path}");
                Console.WriteLine(record.Description);
            }
            return 0;
        });
        return cmd;
    }

    private static Command Import()
    {
        var cmd = new Command("import",
            "Check a torchvision state dict (torch.save, zip or legacy format, e.g. vgg16-397923af.pth) against InSitu's network of " +
            "that layout and store it");
        var arch = ArchitectureArgument(PretrainedArchitecture.All.Where(a => a.FromTorchVision));
        var file = new Argument<string>("file") { Description = "The .pth file" };
        var output = new Option<string?>("--out") { Description = "Write the weights to this file instead of the weights folder" };
        var store = StoreOption();
        cmd.Arguments.Add(arch);
        cmd.Arguments.Add(file);
        cmd.Options.Add(output);
        cmd.Options.Add(store);
        cmd.SetAction(pr =>
        {
            var a = PretrainedArchitecture.Find(pr.GetValue(arch)!);
            var (model, record) = TorchVisionWeights.Import(a, pr.GetValue(file)!);
            using (model)
            {
                var path = Store(pr.GetValue(store)).Save(model, record, pr.GetValue(output));
                Console.WriteLine($"{a.Name}: {record.Classes} classes, {model.ParameterCount():N0} parameters -> {path}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Taps()
    {
        var cmd = new Command("taps", "The tap points of an architecture, in forward order, with their aliases");
        var arch = ArchitectureArgument(PretrainedArchitecture.All);
        cmd.Arguments.Add(arch);
        cmd.SetAction(pr =>
        {
            var a = PretrainedArchitecture.Find(pr.GetValue(arch)!);
            using var model = a.Create(a.DefaultClasses);
            var network = (IHasTapPoints)model;
            var aliases = network.TapAliases.GroupBy(e => e.Value).ToDictionary(g => g.Key, g => g.Select(e => e.Key).ToList());
            foreach (var tap in network.TapPoints)
                Console.WriteLine(aliases.TryGetValue(tap, out var other) ? $"{tap} ({string.Join(", ", other)})" : tap);
            return 0;
        });
        return cmd;
    }
}
