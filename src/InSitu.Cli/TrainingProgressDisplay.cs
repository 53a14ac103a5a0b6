using InSitu.Training;
using Spectre.Console;

namespace InSitu.Cli;

/// <summary>A progress display for training commands: one bar per phase, fed by the phase's batch progress.</summary>
internal static class TrainingProgressDisplay
{
    /// <summary>Runs <paramref name="work"/>, which reports (phase, progress) as it trains, under the display.</summary>
    public static void Run(Action<Action<string, BatchProgress>> work) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                string current = "";
                work((phase, p) =>
                {
                    if (phase != current || task is null)
                    {
                        task?.StopTask();
                        task = ctx.AddTask(phase, maxValue: p.Epochs * p.Batches);
                        current = phase;
                    }
                    task.Value = (p.Epoch - 1) * p.Batches + p.Batch;
                    var accuracy = double.IsNaN(p.Accuracy) ? "" : $" acc {100 * p.Accuracy:F0}%";
                    task.Description = $"{phase} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3}{accuracy} {p.ItemsPerSecond:F0} items/s";
                });
                task?.StopTask();
            });
}
