using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Semisup.Data;
using Semisup.Export;
using Semisup.Runs;

namespace Semisup.Cli;

/// <summary><c>semisup export</c>, and <c>evaluate --onnx</c>'s scoring of what it wrote.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "The checkpoint to export (best.ckpt of a run, or one under models/).", Required = true };
        var format = new Option<string>("--format", "-f")
        {
            Description = $"onnx: the evaluation graph (opset {OnnxExport.Opset}), for ONNX Runtime; safetensors: the conv net's weights for PyTorch (python/semisup_models.py).",
            DefaultValueFactory = _ => "onnx",
        };
        var output = new Option<string>("--out", "-o") { Description = "The file to write.", Required = true };
        var cmd = new Command("export", "Write a checkpoint's model for use outside Semisup, with its recipe, dataset, class names and test accuracy as metadata.") { checkpoint, format, output, DataCommands.DataDir };
        cmd.SetAction(async (parse, cancel) =>
        {
            var (kind, path) = (parse.GetValue(format)!, parse.GetValue(output)!);
            var result = await Exporting.ExportAsync(parse.GetValue(checkpoint)!, kind, path, DataCommands.Locator(parse, cancel), Console.Error.WriteLine);
            string what = kind == "onnx"
                ? $"ONNX opset {OnnxExport.Opset}, input '{OnnxExport.Input}' float32 {result.Input.Shape} ({result.Input.Description}), outputs '{OnnxExport.Logits}' and '{OnnxExport.Probabilities}' [N,classes]{Probabilities(result.Temperature)}; check it with: semisup evaluate --onnx {path}"
                : "weights of SemisupConvNet in python/semisup_models.py, loaded by its load_conv_net(path)";
            string score = result.TestAccuracy is { } accuracy ? string.Create(CultureInfo.InvariantCulture, $"test accuracy {100 * accuracy:F2}% (Semisup's evaluation)") : "no test accuracy";
            Console.WriteLine($"{path}: {score}; {what}");
            return 0;
        });
        return cmd;
    }

    /// <summary>How the exported probabilities come from the logits.</summary>
    static string Probabilities(double? temperature) => temperature is { } t
        ? string.Create(CultureInfo.InvariantCulture, $" (probabilities = softmax(logits / {t:F3}), the checkpoint's temperature)")
        : " (no temperature in the checkpoint: `semisup checkpoint calibrate` fits one)";

    public static readonly Option<string?> Onnx = new("--onnx")
    {
        Description = "Score a model written by `semisup export` with ONNX Runtime instead of checkpoints (test split).",
    };

    /// <summary>evaluate's check that it has something to evaluate: checkpoints or --onnx, not both.</summary>
    public static Action<CommandResult> CheckpointsOrOnnx(Option<string[]> checkpoints) => result =>
    {
        bool hasCheckpoints = result.GetValue(checkpoints) is { Length: > 0 }, hasOnnx = result.GetValue(Onnx) != null;
        if (hasCheckpoints == hasOnnx) result.AddError("give --checkpoint (one or more) or --onnx.");
    };

    /// <summary><c>evaluate --onnx</c>: the exported model's accuracy on its dataset's test set, by ONNX Runtime.</summary>
    public static async Task<int> EvaluateOnnxAsync(string path, string split, LocateData locate)
    {
        var (e, exported, mistakes) = await Exporting.EvaluateOnnxAsync(path, split, locate);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path}: test accuracy {100 * e.Accuracy:F2}% ({Math.Round((1 - e.Accuracy) * e.Count)} of {e.Count} wrong), loss {e.Loss:F4}, ECE {100 * e.ExpectedError:F2}%  [ONNX Runtime{(exported is double at ? $"; Semisup measured {100 * at:F2}% at export" : "")}]"));
        Console.WriteLine($"most frequent mistakes (true as predicted): {string.Join(", ", mistakes.Select(m => $"{m.True} as {m.Predicted}: {m.Count}"))}");
        return 0;
    }
}
