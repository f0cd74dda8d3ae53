using System.CommandLine;
using System.Globalization;
using Semisup.Runs;
using Semisup.Training;

namespace Semisup.Cli;

/// <summary>semisup checkpoint upgrade: a checkpoint of the first format, which has no checksum, saved again verified;
/// semisup checkpoint calibrate: a checkpoint's temperature fitted on its validation images and stored in it.</summary>
static class CheckpointCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Checkpoint files to upgrade in place.", Arity = ArgumentArity.OneOrMore };
        var upgrade = new Command("upgrade", "Re-save checkpoints of the first format (no checksum) with their SHA-256, once each loads whole; the content is unchanged and the file is replaced atomically. Upgrade only a file you trust: its bytes were never verified.")
            { files };
        upgrade.SetAction(parse =>
        {
            foreach (var path in parse.GetValue(files)!)
                Console.WriteLine(Checkpoint.Upgrade(path)
                    ? $"{path}: saved again with its SHA-256 (format 2); from now on a changed byte is refused."
                    : $"{path}: already verified (format 2); left as it was.");
            return 0;
        });
        return new Command("checkpoint", "Maintain checkpoint files.") { upgrade, Calibrate() };
    }

    static Command Calibrate()
    {
        var files = new Argument<string[]>("files") { Description = "Checkpoint files to calibrate in place.", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("calibrate", "Fit each checkpoint's temperature (Guo et al. 2017) on the validation images its recipe selected it on, and store it in the checkpoint, replaced atomically; evaluate, predict, serve and export then divide the logits by it. Training does this itself when a run ends.")
            { files, DataCommands.DataDir };
        cmd.SetAction(async (parse, cancel) =>
        {
            var locate = DataCommands.Locator(parse, cancel);
            foreach (var path in parse.GetValue(files)!)
            {
                var header = Checkpoint.ReadHeader(path);
                using var validation = await Calibrating.ValidationSetAsync(header.Recipe, locate, cancel: cancel);
                var (_, _, t, v, _) = Calibrating.Calibrate(path, validation);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: temperature {t:F3} (was {(header.Temperature is { } before ? before.ToString("F3", CultureInfo.InvariantCulture) : "none")}), fitted on {v.Count:N0} validation images: ECE {100 * v.RawError:F2}% raw -> {100 * v.Error:F2}%, loss {v.RawLoss:F4} -> {v.Loss:F4}"));
            }
            return 0;
        });
        return cmd;
    }
}
