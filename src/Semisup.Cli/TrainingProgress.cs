using Semisup.Training;
using Spectre.Console;
using Semisup.Recipes;

namespace Semisup.Cli;

/// <summary>A live bar (step, epoch, losses, validation accuracy) on a terminal; one plain line per epoch otherwise.</summary>
static class TrainingProgress
{
    public static TrainResult Run(Func<ITrainingObserver, TrainResult> train)
    {
        if (!ConsoleProgress.Interactive) return train(new Lines());
        TrainResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx => result = train(new Bar(ctx)));
        return result;
    }

    static string Line(EpochMetrics m, bool best) =>
        $"epoch {m.Epoch,4}  sup {m.SupervisedLoss:F4}  unsup {m.UnsupervisedLoss:F4}  val loss {m.ValidationLoss:F4}  val acc {m.ValidationAccuracy:P2}{(best ? " *" : "  ")}  lr {m.LearningRate:G3}  {m.StepsPerSecond:F1} steps/s  {TimeSpan.FromSeconds(m.WallSeconds):hh\\:mm\\:ss}";

    /// <summary>A loss the method does not compute at this step is NaN.</summary>
    static string Loss(double value) => double.IsNaN(value) ? "-" : value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);

    sealed class Lines : ITrainingObserver
    {
        public void Epoch(EpochMetrics m, bool best) => Console.WriteLine(Line(m, best));
        public void Message(string text) => Console.WriteLine(text);
    }

    sealed class Bar(ProgressContext ctx) : ITrainingObserver
    {
        ProgressTask? task;
        int totalEpochs, steps, firstEpoch;
        double bestAcc, lastAcc;

        public void Started(Recipe recipe, int first, int stepsPerEpoch)
        {
            (totalEpochs, steps, firstEpoch) = (recipe.Run.Epochs, stepsPerEpoch, first);
            // Started again when a run goes back to its last checkpoint after a libtorch failure: one bar throughout.
            task ??= ctx.AddTask("starting");
            task.MaxValue = Math.Max(1, (recipe.Run.Epochs - first + 1) * stepsPerEpoch);
        }

        public void Step(int epoch, int step, int stepsPerEpoch, double sup, double unsup)
        {
            task!.Value = (epoch - firstEpoch) * steps + step;
            task.Description = Markup.Escape($"epoch {epoch}/{totalEpochs} step {step}/{stepsPerEpoch} sup {Loss(sup)} unsup {Loss(unsup)} val {100 * lastAcc:F2}% best {100 * bestAcc:F2}%");
        }

        public void Message(string text) => AnsiConsole.WriteLine(text);

        public void Epoch(EpochMetrics m, bool best)
        {
            lastAcc = m.ValidationAccuracy;
            bestAcc = Math.Max(bestAcc, m.ValidationAccuracy);
            if (best || m.Epoch % 10 == 0) AnsiConsole.MarkupLine(Markup.Escape(Line(m, best)));
        }
    }
}
