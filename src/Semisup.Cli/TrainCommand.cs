using System.CommandLine;
using System.Runtime.InteropServices;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Runs;

namespace Semisup.Cli;

static class TrainCommand
{
    public static Command Create()
    {
        var recipe = new Option<string?>("--recipe", "-r") { Description = $"Recipe name (recipes/NAME.json) or path (default: {TrainingRuns.DefaultRecipe})." };
        var overrides = new RecipeOverrides();
        var outDir = new Option<string?>("--out", "-o") { Description = "Run directory (default runs/RECIPE-TIMESTAMP)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory from its last checkpoint (with --epochs, extend it; with --threads, on another thread count)." };
        var folder = new Option<string?>("--data") { Description = $"A folder of images (labeled/<class>/, unlabeled/, optional validation/ and test/) or a CSV of path,label to train on; every labeled image is used unless --labels says how many (default recipe: {TrainingRuns.DefaultFolderRecipe})." };
        var cmd = new Command("train", "Train a model from a recipe; writes a run directory with metrics, checkpoints, plots and a report.")
            { recipe, outDir, resume, folder, DataCommands.DataDir, ImageDataCommands.MemoryLimit, ImageDataCommands.SkipUnreadable };
        overrides.AddTo(cmd);
        cmd.SetAction(async (parse, cancel) =>
        {
            var plan = TrainingRuns.Plan(parse.GetValue(recipe), parse.GetValue(outDir), parse.GetValue(resume), overrides.Of(parse, parse.GetValue(resume) != null), Console.WriteLine, parse.GetValue(folder));
            return await TrainAsync(plan, DataCommands.Locator(parse, cancel), cancel, ImageDataCommands.TrainLoadOptions(parse));
        });
        return cmd;
    }

    /// <summary>Trains (or resumes) one run to its end and writes its report; 130 if interrupted.</summary>
    public static async Task<int> TrainAsync(TrainPlan plan, LocateData locate, CancellationToken cancel, ImageLoadOptions? images = null)
    {
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        // Ctrl+C, and SIGTERM (kill, docker stop, a cancelled CI job), which would otherwise end the process at once:
        // both finish the step and exit with 130; the partial epoch is dropped, last.ckpt holds the last whole one.
        void Stop(PosixSignalContext signal) { signal.Cancel = true; interrupt.Cancel(); }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var (r, runDir, resuming) = plan;
        var outcome = await TrainingRuns.TrainAsync(r, runDir, resuming, locate, TrainingProgress.Run, Console.WriteLine, interrupt.Token, images);
        if (outcome.Interrupted)
        {
            Console.WriteLine($"interrupted. {new RunDirectory(runDir).WhereToContinue(outcome.State.Epoch)}");
            return 130;
        }
        ReportNumbers report;
        try { report = await RunReport.WriteAsync(runDir, locate, images); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk leaves a plot or the summary cut short; the run itself is whole.
            throw new SemisupException($"Could not write the report ({e.Message}); the run is finished and kept: `semisup train --resume {runDir}` writes the report again.", e);
        }
        Console.WriteLine(report.Line);
        Console.WriteLine($"report: {Path.Combine(runDir, RunDirectory.Summary)}");
        return 0;
    }
}
