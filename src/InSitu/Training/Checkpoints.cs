using System.Text.Json.Nodes;
using InSitu.Common;
using InSitu.Reports;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;

namespace InSitu.Training;

/// <summary>
/// A checkpoint is one unit: the weights and optimizer state go into a fresh folder, and only then is
/// checkpoint.json (the <see cref="TrainingState"/>, naming that folder) replaced atomically. A kill at any instant
/// leaves either the old or the new checkpoint whole, never weights of one epoch with the progress of another.
/// </summary>
public static class Checkpoints
{
    public const string StateFile = "checkpoint.json";

    /// <summary>
    /// Test-only fault injection, null otherwise: called with each step of <see cref="Save"/> about to happen
    /// ("weights", "optimizer", "state", "cleanup"), so a test can kill a run between a checkpoint's files.
    /// </summary>
    internal static Action<string>? FaultInjection;

    public static void Save(TrainerContext context)
    {
        var run = context.Run;
        var folder = $"checkpoint-{context.State.CompletedEpochs:D4}";
        var path = run.File(folder);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true); // a half-written one from a killed run
        Directory.CreateDirectory(path);
        FaultInjection?.Invoke("weights");
        context.Model.Save(Path.Combine(path, "model.pt"));
        FaultInjection?.Invoke("optimizer");
        Serialization.Save(context.Optimizer.StateDict(), Path.Combine(path, "optimizer.pt"));
        FaultInjection?.Invoke("state");
        var previous = context.State.Folder;
        context.State.Folder = folder;
        run.WriteJson(StateFile, context.State);
        FaultInjection?.Invoke("cleanup");
        if (previous.Length > 0 && previous != folder && Directory.Exists(run.File(previous)))
            Directory.Delete(run.File(previous), recursive: true);
    }

    /// <summary>
    /// The state of an earlier run in <paramref name="run"/>, with its weights and optimizer state loaded, or null
    /// when it has none. A run started with other settings is refused, naming the settings that differ.
    /// </summary>
    public static TrainingState? Resume(RunDirectory run, Module model, Optimizer optimizer, TrainingConfig config)
    {
        if (!File.Exists(run.File(StateFile))) return null;
        var state = run.ReadJson<TrainingState>(StateFile);
        if (state.Config is { } saved)
        {
            var changed = ChangedSettings(saved, config);
            if (changed.Count > 0)
                throw new InvalidDataException($"{run.File(StateFile)}: cannot resume with changed settings " +
                    $"({string.Join(", ", changed)}); " +
                    "use the original settings, or a new output folder");
        }
        Restore(run, state, model, optimizer);
        return state;
    }

    /// <summary>Loads the weights and optimizer state that <paramref name="state"/> names.</summary>
    public static void Restore(RunDirectory run, TrainingState state, Module model, Optimizer optimizer)
    {
        var folder = run.File(state.Folder);
        if (state.Folder.Length == 0 || !Directory.Exists(folder))
            throw new InvalidDataException($"{run.File(StateFile)}: its checkpoint folder '{state.Folder}' is missing; start the run " +
                $"again without --resume");
        model.Load(Path.Combine(folder, "model.pt"));
        var optimizerState = Serialization.Load(Path.Combine(folder, "optimizer.pt"));
        try
        {
            optimizer.LoadStateDict(optimizerState);
        }
        finally
        {
            foreach (var t in optimizerState.Values) t.Dispose();
        }
    }

    /// <summary>The snake_case names of the settings whose values differ.</summary>
    public static List<string> ChangedSettings<T>(T before, T after)
    {
        var a = JsonNode.Parse(JsonSettings.Serialize(before))!.AsObject();
        var b = JsonNode.Parse(JsonSettings.Serialize(after))!.AsObject();
        return a.Select(p => p.Key).Union(b.Select(p => p.Key))
            .Where(k => !JsonNode.DeepEquals(a[k], b[k])).ToList();
    }
}
