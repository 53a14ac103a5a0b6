using InSitu.Common;
using InSitu.Models;
using InSitu.Reports;
using InSitu.Torch;

namespace InSitu.Workflows.Terms;

/// <summary>What kind of network a saved terms network is.</summary>
public enum TermsNetworkKind { Random, Finetuned }

/// <summary>
/// A network the terms workflow saved (network.pt beside this record, network.json): a random-weights control or a
/// multi-task fine-tuned network, with what is needed to build it again.
/// </summary>
public sealed record TermsNetworkInfo(TermsNetworkKind Kind, TermsConfig Config, int Seed, int TrunkClasses, string HeadTap,
    string[] Terms, string Weights)
{
    public const string File = "network.json";

    public void Save(string folder) => new RunDirectory(folder).WriteJson(File, this);

    /// <summary>The network of a folder holding network.json and its weights; an error names what is missing or wrong.</summary>
    public static (TappedNetwork trunk, IDisposable owner, TermsNetworkInfo info) Load(string folder)
    {
        var record = Path.Combine(folder, File);
        if (!System.IO.File.Exists(record))
            throw new FileNotFoundException($"'{folder}' holds no terms network ({File}); make one with `insitu terms finetune` " +
                "or `insitu terms train --method tl+mtl|tl-random`", record);
        var info = JsonFile.Read<TermsNetworkInfo>(record);
        if (info.Config is null || string.IsNullOrEmpty(info.Weights))
            throw new InvalidDataException($"'{record}' lacks its config or weights; it was not written by InSitu or was edited");
        var weights = Path.Combine(folder, info.Weights);
        if (!System.IO.File.Exists(weights)) throw new InvalidDataException($"'{record}': its weights '{weights}' are missing");
        var arch = info.Config.Architecture;
        var trunk = (TappedNetwork)arch.Create(info.TrunkClasses);
        IDisposable owner = trunk;
        try
        {
            if (info.Kind == TermsNetworkKind.Finetuned)
            {
                var net = new MultiTaskNetwork(trunk, info.HeadTap, info.Terms.Length, info.Config.HeadDropout, info.Config.FreezeBatchNorm,
                    info.Config.Height, info.Config.Width);
                owner = net;
                net.Load(weights);
            }
            else trunk.Load(weights);
        }
        catch (Exception e) when (e is TorchException or ArgumentException or KeyNotFoundException)
        {
            owner.Dispose();
            throw new InvalidDataException($"'{weights}' does not fit the {info.Config.Network} network its record describes: " +
                e.Message, e);
        }
        trunk.Eval();
        return (trunk, owner, info);
    }
}
