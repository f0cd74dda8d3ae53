using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Semisup.Cli.Serving;

namespace Semisup.Cli;

/// <summary>semisup serve: a page (draw a digit for a digit model, upload a photo otherwise) and a prediction API on loopback.</summary>
public static class ServeCommand
{
    /// <summary>Whether a command line runs the server, which keeps no training-time allocator setting: glibc keeping
    /// every freed block held the RSS of a burst of large images (2.3 GB) for good.</summary>
    public static bool Runs(string[] args) => args is ["serve", ..];

    public static Command Create()
    {
        var checkpoints = new Option<string[]>("--checkpoint", "-c") { Description = "A checkpoint file; give it more than once to serve an ensemble (probabilities averaged).", Required = true };
        var port = new Option<int>("--port") { Description = "The port to listen on (127.0.0.1 only).", DefaultValueFactory = _ => 5000 };
        var cmd = new Command("serve", "Serve a page at / (draw a digit for a digit model, upload a photo for a model of your images), GET /api/model and POST /api/predict (an image body; the answer names the class; ?raw=true for probabilities without the checkpoint's temperature) on 127.0.0.1.") { checkpoints, port };
        cmd.SetAction(async (parse, token) =>
        {
            await using var server = PredictionServer.Start(parse.GetValue(checkpoints)!, parse.GetValue(port), Console.Error.WriteLine);
            Console.WriteLine($"serving {server.Url} (Ctrl+C to stop)");
            await server.App.WaitForShutdownAsync(token);
            return 0;
        });
        return cmd;
    }
}
