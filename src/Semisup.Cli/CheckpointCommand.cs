using System.CommandLine;
using Semisup.Training;

namespace Semisup.Cli;

/// <summary>semisup checkpoint upgrade: a checkpoint of the first format, which has no checksum, saved again verified.</summary>
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
        return new Command("checkpoint", "Maintain checkpoint files.") { upgrade };
    }
}
