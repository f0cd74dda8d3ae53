using Microsoft.ML.OnnxRuntime;
using Semisup.Data;
using static TorchSharp.torch;

namespace Semisup.Export;

/// <summary>Runs an exported model (<see cref="OnnxExport"/>) with ONNX Runtime: what a user of the .onnx file gets.</summary>
public sealed class OnnxScorer : IDisposable
{
    readonly InferenceSession session;
    readonly RunOptions run = new();

    /// <summary>The model's metadata_props (<see cref="ExportMetadata"/>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public int Classes { get; }

    /// <summary>The temperature the graph divides the logits by before the softmax (<see cref="ExportMetadata.Temperature"/>; 1 without one).</summary>
    public double Temperature { get; }

    /// <summary>The class names in label order: the metadata's (<see cref="ExportMetadata.Classes"/>); for an export
    /// from before they were written, its dataset's, or the label numbers.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The images the model takes, [N, Channels, Height, Width].</summary>
    public (int Channels, int Height, int Width) Input { get; }

    public OnnxScorer(string path)
    {
        if (!File.Exists(path)) throw new SemisupException($"{path}: no such file.");
        SafeFiles.RequireRegular(path, "an ONNX file written by `semisup export`");
        try { session = new InferenceSession(path); }
        catch (OnnxRuntimeException e) { throw new SemisupException($"{path}: ONNX Runtime cannot load it ({e.Message.Trim()}).", e); }
        if (!session.InputMetadata.ContainsKey(OnnxExport.Input) || !session.OutputMetadata.ContainsKey(OnnxExport.Logits) || !session.OutputMetadata.ContainsKey(OnnxExport.Probabilities))
        {
            Dispose();
            throw new SemisupException($"{path}: not a Semisup export (it needs the input '{OnnxExport.Input}' and the outputs '{OnnxExport.Logits}' and '{OnnxExport.Probabilities}').");
        }
        try
        {
            Metadata = session.ModelMetadata.CustomMetadataMap;
            Classes = session.OutputMetadata[OnnxExport.Logits].Dimensions[^1];
            if (session.InputMetadata[OnnxExport.Input].Dimensions is not [_, > 0 and var c, > 0 and var h, > 0 and var w])
                throw new SemisupException($"{path}: its input '{OnnxExport.Input}' is not images [N, C, H, W] of a fixed size; export it again with `semisup export`.");
            Input = (c, h, w);
            Temperature = ExportMetadata.TemperatureOf(Metadata, path);
            ClassNames = ExportMetadata.ClassNames(Metadata, path) is { } names ? names : DefaultNames(Metadata, Classes);
            if (ClassNames.Count != Classes)
                throw new SemisupException($"{path}: its metadata '{ExportMetadata.Classes}' names {ClassNames.Count} classes, but the model has {Classes} outputs; export it again with `semisup export`.");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    static IReadOnlyList<string> DefaultNames(IReadOnlyDictionary<string, string> metadata, int classes) =>
        metadata.TryGetValue(ExportMetadata.Dataset, out var name) && Datasets.All.FirstOrDefault(d => d.Name == name) is { } ds && Data.ClassNames.Of(ds).Count == classes
            ? Data.ClassNames.Of(ds)
            : [.. Enumerable.Range(0, classes).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Logits and probabilities, [n × classes] row-major, of images [n, C, H, W] in [0, 1] (<see cref="Input"/>).</summary>
    public (float[] Logits, float[] Probabilities) Run(Tensor images)
    {
        if (images.shape is not [_, var c, var h, var w] || (c, h, w) != Input)
            throw new SemisupException($"The model takes images [N,{Input.Channels},{Input.Height},{Input.Width}], not [{string.Join(",", images.shape)}].");
        using var cpu = images.detach().cpu().to(ScalarType.Float32).contiguous();
        using var input = OrtValue.CreateTensorValueFromMemory(cpu.data<float>().ToArray(), cpu.shape);
        using var outputs = session.Run(run, [OnnxExport.Input], [input], [OnnxExport.Logits, OnnxExport.Probabilities]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>Accuracy, cross-entropy (of the logits divided by the <see cref="Temperature"/>), predictions (the largest
    /// logit's class), probabilities and their calibration error over a set, in batches, as Semisup's evaluation reports
    /// them for its own models.</summary>
    public Evaluation Evaluate(ImageSet set, int batchSize)
    {
        int n = (int)set.Count;
        var predictions = new long[n];
        var probabilities = new float[n * Classes];
        var labels = set.Labels.data<long>().ToArray();
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batchSize, n - start);
            var (logits, probs) = Run(set.Slice(start, count));
            probs.CopyTo(probabilities, start * Classes);
            for (int i = 0; i < count; i++)
            {
                var row = logits.AsSpan(i * Classes, Classes);
                int best = 0;
                for (int k = 1; k < Classes; k++) if (row[k] > row[best]) best = k;
                predictions[start + i] = best;
                if (best == labels[start + i]) correct++;
                double max = row[best] / Temperature, sum = 0;
                foreach (var v in row) sum += Math.Exp(v / Temperature - max);
                lossSum += max + Math.Log(sum) - row[(int)labels[start + i]] / Temperature;
            }
        }
        return new Evaluation(lossSum / n, (double)correct / n, predictions, probabilities) { ExpectedError = Calibration.ExpectedError(probabilities, Classes, labels) };
    }

    public void Dispose()
    {
        run.Dispose();
        session.Dispose();
    }
}
